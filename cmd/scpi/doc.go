// Command scpi talks to an instrument from the shell.
//
//	scpi query [flags] RESOURCE COMMAND...   send each command, print each query's reply
//	scpi write [flags] RESOURCE COMMAND...   the same: a command with a ? is read, one without is not
//	scpi shell [flags] RESOURCE              an interactive session
//	scpi list [flags]                        instruments and ports found
//
// RESOURCE is a VISA resource string, e.g. TCPIP0::192.0.2.5::5025::SOCKET.
//
// Flags:
//
//	--timeout D   time allowed for each command (default 5s)
//	--trace       print the bytes sent and received on stderr
//	--check       read the error queue afterwards; exit 5 if it held errors;
//	              after a query that timed out (exit 4), its entries are shown
//	--block FILE  (query) the reply is a binary block: write its payload to
//	              FILE ("-" for standard output) instead of printing it
//	--max-block N (query --block) refuse a block larger than N bytes (K, M,
//	              G for KiB, MiB, GiB; default 256M); FILE is written only
//	              once the whole block has come, so a refused one leaves none;
//	              a FIFO or device is written through, a symbolic link kept
//	              (its target replaced), a replaced file's mode kept
//	--raw         print replies as they came
//	--portmapper PORT
//	              (VXI-11, TCPIP::host::inst0::INSTR) ask the host's
//	              portmapper on PORT, not 111: a simulator's, such as the one
//	              scpisim serve --vxi11 prints; a VXI-11 resource that cannot be
//	              opened without it gets an error that says so
//
// Flags go before the resource: an argument after it that starts with '-'
// (no SCPI command does) is refused as a usage error, not sent.
//
// A reply holding a non-printable byte (an escape sequence, say, from a
// broken or hostile instrument) is printed quoted with Go's escapes, as %q
// shows it, unless --raw is given; so are names and replies scpi list
// shows.
//
// The shell edits lines (arrows, Home/End, Ctrl-A/E/K/U/W), counting a
// wide (CJK) character as two columns and a combining mark as none, and recalls
// earlier ones (up arrow, Ctrl-R to search them) across runs, from
// $XDG_STATE_HOME/scpikit/shell_history. Tab completes the shell's own
// commands and, when the instrument is simulated (SIM::<model>::INSTR or a
// SCPIKIT_SIM bench), the model's command tree. A line with a ? outside
// quotes is a query and its reply is printed (a binary block as a summary,
// which :save FILE writes out); other lines are sent as commands. Ctrl-C
// cancels the line being run and keeps the shell; at the prompt it
// abandons the line; Ctrl-D on an empty line leaves. :timeout D,
// :trace on|off, :read, :errors, :clear, :help and :quit are the shell's
// own. The error queue is read before each line that talks to the
// instrument, so :errors says which line each error followed (an
// instrument that does not answer SYST:ERR? is asked only by :errors,
// after a note). Line editing needs stdin and stdout to be terminals:
// with stdout redirected (scpi shell RES > replies.txt) the lines are read
// as the terminal itself edits them, nothing is drawn, and the file gets
// the replies alone. With stdin not a terminal it runs the lines piped
// in, as a script, whose exit status is that of its first failed line (a
// line the instrument reported errors after: 5); a line may be up to 256 MiB
// long, and one longer is named with what to do. Replies, and what :errors,
// :help, :timeout and :save answer, go to stdout; errors, notes and
// "interrupted" to stderr. SIGTERM (kill, timeout(1)) ends the shell at
// once, at the prompt too, with status 1 and the terminal in the mode it
// had; so does Ctrl-C in a script.
//
// scpi list shows serial ports (with their /dev/serial/by-id names),
// usbtmc devices, VXI-11 instruments that answer a portmapper broadcast,
// and instruments that announce _lxi._tcp, _vxi-11._tcp, _scpi-raw._tcp or
// _hislip._tcp by multicast DNS, one resource string per line; --idn opens
// each network instrument as listed and adds its *IDN? reply, and leaves
// out one that cannot be opened or does not answer, naming it on stderr
// with the reason. --vxi11 ADDR and --mdns ADDR send
// the queries elsewhere (a directed broadcast, one host), --skip KIND
// leaves a kind out, --timeout D is how long answers are awaited.
//
// scpi help, or -h or --help after a verb, prints the usage on stderr
// (status 0).
//
// Exit status: 0 success, 1 other failure, 2 usage error, 3 the resource
// could not be opened, 4 timeout, 5 the instrument reported errors.
// Errors are printed on stderr; replies, one per line, on stdout.
package main

// Command scpisim serves simulated instruments, so that any VISA client
// (PyVISA, lxi-tools, this project's scpi command) can talk to them.
//
//	scpisim serve [flags] MODEL        one instrument of a registered model
//	scpisim serve [flags] BENCH.yaml   every instrument of a bench file
//	scpisim models                     list the models
//
// Each instrument is served on a TCP raw socket, and on request on a
// pseudo-terminal, over VXI-11 and over HiSLIP; scpisim prints one line
// per instrument with the resource strings to open (and the VXI-11
// portmapper's port), then serves until SIGINT or SIGTERM.
//
// Flags:
//
//	--listen ADDR            address of the first instrument (127.0.0.1:5025);
//	                         more instruments take the following ports; port 0
//	                         picks free ports
//	--pty                    also serve each instrument on a pseudo-terminal
//	--vxi11                  also serve over VXI-11, each instrument with a
//	                         portmapper of its own on a free port
//	--portmapper ADDR        the first instrument's portmapper address instead;
//	                         127.0.0.1:111 for PyVISA and lxi-tools (needs root)
//	--hislip                 also serve over HiSLIP
//	--announce ADDR          answer mDNS/DNS-SD queries (_scpi-raw._tcp,
//	                         _vxi-11._tcp, _hislip._tcp) for every link served;
//	                         224.0.0.251:5353 is multicast DNS, another address
//	                         answers unicast queries (scpi list --mdns ADDR)
//	--prologix ADDR          also put every instrument on a simulated Prologix
//	                         GPIB-ETHERNET at ADDR (127.0.0.1:1234), at the GPIB
//	                         address of its bench resource or at 1, 2, ...;
//	                         open GPIB0::n::INSTR with that adapter
//	--trace                  log every message in and out
//	--max-conns N            connections per instrument (16)
//	--max-line BYTES         longest program message (8 MiB)
//	--idle D                 close connections idle this long (never)
//	--latency D, --jitter D  delay every response
//	--drop P, --garble P     drop or garble responses with probability P
//	--disconnect-after N     drop each connection after N messages
//	--seed N                 seed for the random faults
//	--at D:EVENT             at time D: error=CODE,MESSAGE | hang | recover |
//	                         disconnect | fault=NAME (repeatable)
//
// Faults given as flags apply to every instrument served.
package main

// Command scpisim serves simulated instruments, so that any VISA client
// (PyVISA, lxi-tools, this project's scpi command) can talk to them.
//
//	scpisim serve [flags] MODEL        one instrument of a registered model
//	scpisim serve [flags] BENCH.yaml   every instrument of a bench file
//	scpisim models                     list the models
//
// Each instrument is served on a TCP raw socket, and on request on a
// pseudo-terminal, over VXI-11 and over HiSLIP. scpisim prints each
// resource string to open on a line of its own (an instrument's socket,
// pty, VXI-11 and HiSLIP resources in that order, then the GPIB resources
// of a --prologix adapter), then "ready", and serves until SIGINT or
// SIGTERM, when it prints "stopped". Which instrument each resource is,
// a VXI-11 portmapper's port and the bench resources an instrument stands
// for are said on stderr; --json prints all of it on stdout instead, as
// one JSON object on one line, once everything listens:
//
//	{"resources":[{"name":"E36312A","model":"E36312A","link":"socket",
//	  "resource":"TCPIP0::127.0.0.1::5025::SOCKET","address":"127.0.0.1:5025"},
//	 {"name":"E36312A","model":"E36312A","link":"vxi11",
//	  "resource":"TCPIP0::127.0.0.1::inst0::INSTR","address":"127.0.0.1:40101",
//	  "portmapper":"127.0.0.1:40100"}]}
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
//	--json                   print the resources served as one JSON object
//	--trace                  log every message in and out
//	--max-conns N            connections per instrument (16)
//	--max-line BYTES         longest program message (8 MiB)
//	--idle D                 close connections silent or not reading for D
//	                         (2m; 0: never)
//	--latency D, --jitter D  delay every response
//	--drop P, --garble P     drop or garble responses with probability P
//	--disconnect-after N     drop each connection after N messages
//	--seed N                 seed for the random faults
//	--at D:EVENT             at time D: error=CODE,MESSAGE | hang | recover |
//	                         disconnect | fault=NAME (repeatable)
//
// Faults given as flags apply to every instrument served.
package main

"""Drive a simulated instrument with PyVISA (pyvisa-py backend).

Usage: pyvisa_client.py RESOURCE
Prints one line per check; the Go test compares them.
"""
import sys

import pyvisa

rm = pyvisa.ResourceManager("@py")
inst = rm.open_resource(sys.argv[1])
inst.read_termination = "\n"
inst.write_termination = "\n"
inst.timeout = 5000

print("idn", inst.query("*IDN?").strip())
inst.write("*CLS;*RST")
inst.write("VOLT 2.5;CURR 1")
inst.write("OUTP ON")
print("ascii", inst.query_ascii_values("MEAS:VOLT? (@1,2)"))
inst.write("TRAC:POIN 16;:FORM REAL,32;:FORM:BORD SWAP")
le = inst.query_binary_values("TRAC:DATA?", datatype="f", is_big_endian=False)
print("binary-le", len(le), "%.4f" % le[4])
inst.write("FORM:BORD NORM")
be = inst.query_binary_values("TRAC:DATA?", datatype="f", is_big_endian=True)
print("binary-be", len(be), "%.4f" % be[4])
inst.write_binary_values("DATA:ARB ", [0, 10, 13, 59, 255], datatype="B")
print("block-roundtrip", list(inst.query_binary_values("DATA:ARB?", datatype="B")))
inst.write("VOLT 99")
print("error", inst.query("SYST:ERR?").strip())
inst.close()
rm.close()

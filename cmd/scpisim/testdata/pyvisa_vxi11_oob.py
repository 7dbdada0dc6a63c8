"""Out-of-band VXI-11 operations from PyVISA (pyvisa-py backend).

Usage: pyvisa_vxi11_oob.py RESOURCE
Prints one line per check; the Go test compares them.
"""
import sys

import pyvisa

rm = pyvisa.ResourceManager("@py")
a = rm.open_resource(sys.argv[1])
b = rm.open_resource(sys.argv[1])
for inst in (a, b):
    inst.read_termination = "\n"
    inst.write_termination = "\n"
    inst.timeout = 2000

a.write("*IDN?")
print("stb-with-reply", a.read_stb() & 0x10)  # device_readstb: MAV
a.clear()  # device_clear drops the reply
print("stb-after-clear", a.read_stb() & 0x10)
a.assert_trigger()  # device_trigger
print("after-trigger", a.query("*OPC?").strip())

a.lock_excl(timeout=1000)  # device_lock
b.timeout = 300
try:
    b.query("*IDN?")
    print("locked", "b got through")
except pyvisa.errors.VisaIOError:
    # pyvisa-py reports device_write's error 11 (locked by another link)
    # as an I/O error.
    print("locked", "refused")
a.unlock()  # device_unlock
b.timeout = 2000
b.clear()
print("unlocked", b.query("*IDN?").strip().split(",")[1])

a.close()
b.close()
rm.close()

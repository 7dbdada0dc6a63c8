"""Print *IDN? of each resource given, one per line, through PyVISA."""
import sys

import pyvisa

rm = pyvisa.ResourceManager("@py")
for resource in sys.argv[1:]:
    inst = rm.open_resource(resource)
    inst.read_termination = "\n"
    inst.write_termination = "\n"
    inst.timeout = 5000
    print(inst.query("*IDN?").strip())
    inst.close()
rm.close()

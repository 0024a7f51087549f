from probetest import *
finish()

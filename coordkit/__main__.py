import sys

from coordkit.cli import main

sys.exit(main())

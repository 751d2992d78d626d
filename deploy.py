#!/usr/bin/env python3
"""Deploy a generated environment to AWS (or an emulator), plan it, or delete it.

The command line lives in stackyard/cli/deploy.py (installed as `stackyard-deploy`);
`python deploy.py --help` lists its options.
"""

import sys

from stackyard.cli.deploy import main

if __name__ == "__main__":
    sys.exit(main())

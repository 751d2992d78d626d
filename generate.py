#!/usr/bin/env python3
"""Generate the CloudFormation of every environment from params/, then lint it.

The command line lives in stackyard/cli/generate.py (installed as `stackyard-generate`);
`python generate.py --help` lists its options.
"""

import sys

from stackyard.cli.generate import main

if __name__ == "__main__":
    sys.exit(main())

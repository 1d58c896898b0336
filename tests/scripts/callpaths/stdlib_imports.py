"""A short script that imports several stdlib packages, then does a little work.

Under `python -m cProfile`, `exec` is the root and is reached again through
importlib for every imported module: a layout that cuts at repeated functions
loses most of such a run.
"""

import argparse  # noqa: F401
import decimal
import difflib
import email.parser  # noqa: F401
import fractions
import http.client  # noqa: F401
import json
import statistics
import xml.dom.minidom  # noqa: F401


def work():
    text = json.dumps([{"n": i, "q": str(decimal.Decimal(i) / 7)} for i in range(3000)])
    ratio = difflib.SequenceMatcher(None, text[:2000], text[1000:3000]).ratio()
    return statistics.mean(fractions.Fraction(i, 7) for i in range(2000)), ratio


if __name__ == "__main__":
    print(work())

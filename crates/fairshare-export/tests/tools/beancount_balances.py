"""Loads a Beancount file with beancount's own loader and prints the sum of the postings of
every account and currency, one `account<TAB>currency<TAB>number` line each (zero sums left
out). Exits 1 with the loader's errors (a failed balance assertion among them) if any."""

import sys

from beancount import loader
from beancount.core import data

entries, errors, _options = loader.load_file(sys.argv[1])
if errors:
    for error in errors:
        print(f"{error.source}: {error.message}", file=sys.stderr)
    sys.exit(1)
totals = {}
for entry in entries:
    if isinstance(entry, data.Transaction):
        for posting in entry.postings:
            key = (posting.account, posting.units.currency)
            totals[key] = totals.get(key, 0) + posting.units.number
for (account, currency), number in sorted(totals.items()):
    if number != 0:
        print(f"{account}\t{currency}\t{number:f}")

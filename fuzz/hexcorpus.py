#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Convert fuzz corpora between the repository's hex text and raw files.

The repository keeps corpus inputs as reviewable hex text (*.hex: pairs of
hex digits, whitespace ignored, '#' comments; the replay driver reads them
directly).  libFuzzer reads and writes raw files.

usage:
  hexcorpus.py tobin HEXDIR RAWDIR
      write every input of HEXDIR (*.hex decoded; other files copied) to
      RAWDIR, named by its base name.
  hexcorpus.py frombin RAWDIR HEXDIR [NOTE]
      add every raw input of RAWDIR whose content is not already in HEXDIR
      as HEXDIR/<sha1>.hex (with NOTE as a comment); prints what it added.
"""
import hashlib
import os
import re
import sys

SPDX = '# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause\n'


def decode(text):
    text = re.sub(r'#[^\n]*', '', text)
    digits = ''.join(text.split())
    if len(digits) % 2:
        raise ValueError('odd number of hex digits')
    return bytes.fromhex(digits)


def read_input(path):
    with open(path, 'rb') as f:
        data = f.read()
    if path.endswith('.hex'):
        return decode(data.decode('ascii'))
    return data


def inputs(d):
    for name in sorted(os.listdir(d)):
        path = os.path.join(d, name)
        if name.startswith('.') or name == 'README' or \
                not os.path.isfile(path):
            continue
        yield name, path


def tobin(hexdir, rawdir):
    os.makedirs(rawdir, exist_ok=True)
    n = 0
    for name, path in inputs(hexdir):
        base = name[:-4] if name.endswith('.hex') else name
        with open(os.path.join(rawdir, base), 'wb') as f:
            f.write(read_input(path))
        n += 1
    print('hexcorpus: %d inputs -> %s' % (n, rawdir))


def frombin(rawdir, hexdir, note):
    os.makedirs(hexdir, exist_ok=True)
    known = set()
    for _, path in inputs(hexdir):
        known.add(hashlib.sha1(read_input(path)).hexdigest())
    added = 0
    for _, path in inputs(rawdir):
        data = read_input(path)
        sha = hashlib.sha1(data).hexdigest()
        if sha in known:
            continue
        known.add(sha)
        out = os.path.join(hexdir, sha + '.hex')
        with open(out, 'w') as f:
            f.write(SPDX)
            f.write('# %s\n' % (note or 'found by libFuzzer'))
            for i in range(0, len(data), 16):
                f.write(' '.join('%02x' % b for b in data[i:i + 16]) + '\n')
        print('hexcorpus: added', out)
        added += 1
    print('hexcorpus: %d new inputs in %s' % (added, hexdir))


def main(argv):
    if len(argv) >= 4 and argv[1] == 'tobin':
        tobin(argv[2], argv[3])
    elif len(argv) >= 4 and argv[1] == 'frombin':
        frombin(argv[2], argv[3], argv[4] if len(argv) > 4 else '')
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

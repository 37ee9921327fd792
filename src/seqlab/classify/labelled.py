"""Reading labelled texts for classification: a TSV file ``label<TAB>text`` or a folder per class.

Both readers check what a classifier needs and name the place of the first problem: a TSV
line without a tab (by line number), an empty label or text, a folder without class
sub-folders. Blank lines in a TSV file are skipped.
"""

from __future__ import annotations

from pathlib import Path

from seqlab.data.readers import read_lines
from seqlab.exceptions import DataError

__all__ = ["read_labelled", "read_tsv", "read_folders"]


def read_tsv(path: str | Path, *, encoding: str = "utf-8") -> tuple[list[str], list[str]]:
    """Texts and labels from lines ``label<TAB>text`` (the text may itself hold tabs).

    Returns
    -------
    texts, labels : list of str
    """
    texts: list[str] = []
    labels: list[str] = []
    for number, line in enumerate(read_lines(path, encoding=encoding), start=1):
        if not line.strip():
            continue
        label, tab, text = line.partition("\t")
        if not tab:
            raise DataError(f"{path}, line {number}: no tab; each line must be 'label<TAB>text'.")
        label = label.strip()
        if not label:
            raise DataError(f"{path}, line {number}: the label before the tab is empty.")
        if not text.strip():
            raise DataError(f"{path}, line {number}: the text after the tab is empty; remove the line or add text.")
        texts.append(text)
        labels.append(label)
    if not texts:
        raise DataError(f"{path} holds no labelled texts (empty, or only blank lines).")
    return texts, labels


def read_folders(path: str | Path, *, encoding: str = "utf-8") -> tuple[list[str], list[str]]:
    """One text per file, labelled by the name of the sub-folder that holds it (``DIR/<label>/<file>``).

    Files are read in sorted order; hidden files are skipped.
    """
    root = Path(path)
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DataError(f"{root} has no class sub-folders; expected {root}/<label>/<one file per text>.")
    texts: list[str] = []
    labels: list[str] = []
    for folder in classes:
        files = sorted(f for f in folder.rglob("*") if f.is_file() and not f.name.startswith("."))
        for file in files:
            text = "\n".join(read_lines(file, encoding=encoding))
            if not text.strip():
                raise DataError(f"{file} is empty; every text needs at least one token (remove the file).")
            texts.append(text)
            labels.append(folder.name)
    if not texts:
        raise DataError(f"{root}: the class sub-folders hold no files.")
    return texts, labels


def read_labelled(path: str | Path, *, encoding: str = "utf-8") -> tuple[list[str], list[str]]:
    """A TSV file or a folder per class, whichever ``path`` is."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p} does not exist; give a TSV file (label<TAB>text), a folder per class "
                        "or a bundled data set name.")
    return read_folders(p, encoding=encoding) if p.is_dir() else read_tsv(p, encoding=encoding)

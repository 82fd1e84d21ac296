from cext_setuptools._speed import add

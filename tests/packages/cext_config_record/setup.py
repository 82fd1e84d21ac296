from setuptools import Extension, setup

setup(ext_modules=[Extension("cext_config_record._add",
                             sources=["src/cext_config_record/_add.c"])])

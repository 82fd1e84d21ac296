from setuptools import Extension, setup

setup(
    name="plan-setup-py",
    version="1.0",
    python_requires=">=3.12",
    classifiers=[
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
    ],
    ext_modules=[Extension("demo._x", sources=["src/demo/_x.c"])],
)

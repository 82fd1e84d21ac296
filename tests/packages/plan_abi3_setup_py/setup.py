from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "demo._x",
            sources=["src/demo/_x.c"],
            define_macros=[("Py_LIMITED_API", "0x030B0000")],
            py_limited_api=True,
        )
    ],
)

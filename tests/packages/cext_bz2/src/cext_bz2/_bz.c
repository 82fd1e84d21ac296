/* Links libbz2, which is not in the manylinux allow-list, so auditwheel must vendor it,
 * and calls getrandom(2), a glibc 2.25 symbol, so the wheel cannot be manylinux_2_17. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <bzlib.h>
#include <sys/random.h>

static PyObject *bzlib_version(PyObject *self, PyObject *args) {
    return PyUnicode_FromString(BZ2_bzlibVersion());
}

static PyObject *random_bytes(PyObject *self, PyObject *arg) {
    Py_ssize_t n = PyLong_AsSsize_t(arg);
    if (n < 0 || n > 256) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "n must be 0..256");
        return NULL;
    }
    unsigned char buf[256];
    ssize_t got = getrandom(buf, (size_t)n, 0);
    if (got != n) return PyErr_SetFromErrno(PyExc_OSError);
    return PyBytes_FromStringAndSize((const char *)buf, n);
}

static PyMethodDef methods[] = {
    {"bzlib_version", bzlib_version, METH_NOARGS, "libbz2's version string."},
    {"random_bytes", random_bytes, METH_O, "n random bytes from getrandom(2)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_bz", NULL, -1, methods};

PyMODINIT_FUNC PyInit__bz(void) { return PyModule_Create(&module); }

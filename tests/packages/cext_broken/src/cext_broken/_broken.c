#include <Python.h>

/* The test looks for this message in hwb's error. */
#error "hwb-test: this extension does not compile"

/* srcgrad._speedups: the warm path's argument check, in C.
 *
 * Optional: setup.py builds it when a C compiler is there, and srcgrad works the same
 * without it (dispatch.py then generates the check in Python, about 0.6 us slower per
 * call with six array arguments; see docs/design.md, "Warm path").
 *
 * Checker(specs, dicts, attrs, missing, counter, generation, ndarray) is a callable
 * object: checker(a0, ..., an) is True exactly when the Python check dispatch.py would
 * generate for the same specs and guards returns True:
 *   - per argument, spec (T, D, S): type(a) is T; for an array (S a tuple) a.dtype is
 *     D and a.shape == S, read from the array's struct (no tuple built); for a NumPy
 *     scalar (S None, D not None) a.dtype is D;
 *   - per dict guard (d, key, value): d[key] is value (`key not in d` when value is
 *     `missing`); per attribute guard (o, name, value): o.name is value (a
 *     function's __code__, __defaults__, __kwdefaults__ and a cell's cell_contents
 *     read as their getters read them, without a getattr);
 *   - counter[0] == generation (the compile cache was not cleared since).
 * Any error while testing (a guarded name removed) is cleared and gives False. Keyword
 * arguments or another number of arguments give False.
 *
 * The array struct: NumPy's public C API reads ndim, dimensions and descr as fields of
 * PyArrayObject_fields (PyArray_NDIM etc. are inline field reads in every compiled
 * extension), so their layout is part of NumPy's ABI. dispatch.py still checks, before
 * using this module, that the fields read here agree with ndim, shape and dtype on
 * sample arrays, and falls back to Python if they do not.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <string.h>

typedef struct {  /* the head of NumPy's PyArrayObject_fields */
    PyObject_HEAD
    char *data;
    int nd;
    Py_ssize_t *dimensions;
    Py_ssize_t *strides;
    PyObject *base;
    PyObject *descr;
    int flags;
} ArrayHead;

enum { PLAIN = 0, ARRAY = 1, SCALAR = 2 };

typedef struct {
    PyObject *type;   /* strong */
    PyObject *dtype;  /* strong, or NULL for PLAIN */
    int kind;
    int nd;
    Py_ssize_t *dims; /* nd entries (ARRAY) */
} ArgSpec;

/* How an attribute guard reads its attribute: the attributes a function's guards
   always hold are read as the getters of function and cell objects read them. */
enum { GETATTR = 0, FUNC_CODE, FUNC_DEFAULTS, FUNC_KWDEFAULTS, CELL_CONTENTS };

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    Py_ssize_t nargs;
    ArgSpec *args;
    PyObject *dicts;      /* tuple of (dict, key, value) */
    PyObject *attrs;      /* tuple of (object, name, value) */
    char *attr_kinds;     /* per attribute guard: GETATTR, FUNC_CODE, ... */
    PyObject *missing;
    PyObject *counter;    /* list */
    PyObject *generation;
} Checker;

static PyObject *dtype_name;  /* interned "dtype" */

static int
arguments_match(Checker *self, PyObject *const *argv)
{
    for (Py_ssize_t i = 0; i < self->nargs; i++) {
        PyObject *a = argv[i];
        ArgSpec *s = &self->args[i];
        if ((PyObject *)Py_TYPE(a) != s->type)
            return 0;
        if (s->kind == ARRAY) {
            ArrayHead *h = (ArrayHead *)a;
            if (h->descr != s->dtype || h->nd != s->nd)
                return 0;
            if (s->nd && memcmp(h->dimensions, s->dims, s->nd * sizeof(Py_ssize_t)))
                return 0;
        }
        else if (s->kind == SCALAR) {
            PyObject *d = PyObject_GetAttr(a, dtype_name);
            if (d == NULL) {
                PyErr_Clear();
                return 0;
            }
            Py_DECREF(d);  /* only its identity is compared; s->dtype keeps one alive */
            if (d != s->dtype)
                return 0;
        }
    }
    return 1;
}

static int
guards_hold(Checker *self)
{
    Py_ssize_t n = PyTuple_GET_SIZE(self->dicts);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *g = PyTuple_GET_ITEM(self->dicts, i);
        PyObject *want = PyTuple_GET_ITEM(g, 2);
        PyObject *v = PyDict_GetItemWithError(PyTuple_GET_ITEM(g, 0), PyTuple_GET_ITEM(g, 1));
        if (v == NULL && PyErr_Occurred()) {
            PyErr_Clear();
            return 0;
        }
        if (want == self->missing ? v != NULL : v != want)
            return 0;
    }
    n = PyTuple_GET_SIZE(self->attrs);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *g = PyTuple_GET_ITEM(self->attrs, i);
        PyObject *o = PyTuple_GET_ITEM(g, 0), *v;
        switch (self->attr_kinds[i]) {
        case FUNC_CODE:  /* what function.__code__ returns */
            v = PyFunction_GET_CODE(o);
            break;
        case FUNC_DEFAULTS:  /* function.__defaults__: None when there are none */
            v = PyFunction_GET_DEFAULTS(o);
            v = v ? v : Py_None;
            break;
        case FUNC_KWDEFAULTS:
            v = PyFunction_GET_KW_DEFAULTS(o);
            v = v ? v : Py_None;
            break;
        case CELL_CONTENTS:  /* cell.cell_contents: an empty cell raises ValueError */
            v = PyCell_GET(o);
            if (v == NULL)
                return 0;
            break;
        default:
            v = PyObject_GetAttr(o, PyTuple_GET_ITEM(g, 1));
            if (v == NULL) {
                PyErr_Clear();
                return 0;
            }
            Py_DECREF(v);  /* identity only: the guard's value is kept alive */
        }
        if (v != PyTuple_GET_ITEM(g, 2))
            return 0;
    }
    if (PyList_GET_SIZE(self->counter) < 1)
        return 0;
    int eq = PyObject_RichCompareBool(PyList_GET_ITEM(self->counter, 0), self->generation,
                                      Py_EQ);
    if (eq < 0) {
        PyErr_Clear();
        return 0;
    }
    return eq;
}

static PyObject *
checker_vectorcall(PyObject *op, PyObject *const *argv, size_t nargsf, PyObject *kwnames)
{
    Checker *self = (Checker *)op;
    if (PyVectorcall_NARGS(nargsf) != self->nargs
            || (kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0))
        Py_RETURN_FALSE;
    if (arguments_match(self, argv) && guards_hold(self))
        Py_RETURN_TRUE;
    Py_RETURN_FALSE;
}

static int
tuple_of_triples(PyObject *t, const char *what)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(t); i++) {
        PyObject *g = PyTuple_GET_ITEM(t, i);
        if (!PyTuple_Check(g) || PyTuple_GET_SIZE(g) != 3) {
            PyErr_Format(PyExc_TypeError, "Checker: each of %s must be a 3-tuple", what);
            return 0;
        }
    }
    return 1;
}

static int
fill_spec(ArgSpec *s, PyObject *sp, PyObject *ndarray)
{
    if (!PyTuple_Check(sp) || PyTuple_GET_SIZE(sp) != 3
            || !PyType_Check(PyTuple_GET_ITEM(sp, 0))) {
        PyErr_SetString(PyExc_TypeError, "Checker: a spec is (type, dtype, shape)");
        return 0;
    }
    PyObject *type = PyTuple_GET_ITEM(sp, 0), *dtype = PyTuple_GET_ITEM(sp, 1);
    PyObject *shape = PyTuple_GET_ITEM(sp, 2);
    Py_INCREF(type);
    s->type = type;
    if (shape != Py_None) {
        if (!PyTuple_Check(shape)
                || !PyType_IsSubtype((PyTypeObject *)type, (PyTypeObject *)ndarray)) {
            PyErr_SetString(PyExc_TypeError,
                            "Checker: a shape is given only for an ndarray type");
            return 0;
        }
        s->kind = ARRAY;
        s->nd = (int)PyTuple_GET_SIZE(shape);
        s->dims = PyMem_Calloc(s->nd ? s->nd : 1, sizeof(Py_ssize_t));
        if (s->dims == NULL) {
            PyErr_NoMemory();
            return 0;
        }
        for (int k = 0; k < s->nd; k++) {
            s->dims[k] = PyLong_AsSsize_t(PyTuple_GET_ITEM(shape, k));
            if (s->dims[k] == -1 && PyErr_Occurred())
                return 0;
        }
    }
    else if (dtype != Py_None)
        s->kind = SCALAR;
    if (s->kind != PLAIN) {
        Py_INCREF(dtype);
        s->dtype = dtype;
    }
    return 1;
}

static int
checker_clear(Checker *self)
{
    for (Py_ssize_t i = 0; i < self->nargs; i++) {
        Py_CLEAR(self->args[i].type);
        Py_CLEAR(self->args[i].dtype);
    }
    Py_CLEAR(self->dicts);
    Py_CLEAR(self->attrs);
    Py_CLEAR(self->missing);
    Py_CLEAR(self->counter);
    Py_CLEAR(self->generation);
    return 0;
}

static int
checker_traverse(Checker *self, visitproc visit, void *arg)
{
    for (Py_ssize_t i = 0; i < self->nargs; i++) {
        Py_VISIT(self->args[i].type);
        Py_VISIT(self->args[i].dtype);
    }
    Py_VISIT(self->dicts);
    Py_VISIT(self->attrs);
    Py_VISIT(self->missing);
    Py_VISIT(self->counter);
    Py_VISIT(self->generation);
    return 0;
}

static void
checker_dealloc(Checker *self)
{
    PyObject_GC_UnTrack(self);
    checker_clear(self);
    if (self->args != NULL) {
        for (Py_ssize_t i = 0; i < self->nargs; i++)
            PyMem_Free(self->args[i].dims);
        PyMem_Free(self->args);
    }
    PyMem_Free(self->attr_kinds);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
checker_new(PyTypeObject *tp, PyObject *a, PyObject *kw)
{
    PyObject *specs, *dicts, *attrs, *missing, *counter, *generation, *ndarray;
    if (kw != NULL && PyDict_GET_SIZE(kw) != 0) {
        PyErr_SetString(PyExc_TypeError, "Checker takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(a, "O!O!O!OO!OO!:Checker", &PyTuple_Type, &specs,
                          &PyTuple_Type, &dicts, &PyTuple_Type, &attrs, &missing,
                          &PyList_Type, &counter, &generation, &PyType_Type, &ndarray))
        return NULL;
    if (!tuple_of_triples(dicts, "dicts") || !tuple_of_triples(attrs, "attrs"))
        return NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(dicts); i++) {
        if (!PyDict_CheckExact(PyTuple_GET_ITEM(PyTuple_GET_ITEM(dicts, i), 0))) {
            PyErr_SetString(PyExc_TypeError, "Checker: a dict guard's namespace is a dict");
            return NULL;
        }
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(attrs); i++) {
        if (!PyUnicode_Check(PyTuple_GET_ITEM(PyTuple_GET_ITEM(attrs, i), 1))) {
            PyErr_SetString(PyExc_TypeError, "Checker: an attribute name is a str");
            return NULL;
        }
    }
    Checker *self = PyObject_GC_New(Checker, tp);
    if (self == NULL)
        return NULL;
    self->vectorcall = checker_vectorcall;
    self->nargs = 0;
    self->args = NULL;
    self->attr_kinds = PyMem_Calloc(PyTuple_GET_SIZE(attrs) + 1, 1);
    if (self->attr_kinds == NULL) {
        self->dicts = self->attrs = self->missing = self->counter = self->generation = NULL;
        PyObject_GC_Track(self);
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(attrs); i++) {
        PyObject *g = PyTuple_GET_ITEM(attrs, i), *o = PyTuple_GET_ITEM(g, 0);
        PyObject *name = PyTuple_GET_ITEM(g, 1);
        if (PyFunction_Check(o)) {  /* (the function type has no subclasses) */
            if (PyUnicode_CompareWithASCIIString(name, "__code__") == 0)
                self->attr_kinds[i] = FUNC_CODE;
            else if (PyUnicode_CompareWithASCIIString(name, "__defaults__") == 0)
                self->attr_kinds[i] = FUNC_DEFAULTS;
            else if (PyUnicode_CompareWithASCIIString(name, "__kwdefaults__") == 0)
                self->attr_kinds[i] = FUNC_KWDEFAULTS;
        }
        else if (PyCell_Check(o)
                 && PyUnicode_CompareWithASCIIString(name, "cell_contents") == 0)
            self->attr_kinds[i] = CELL_CONTENTS;
    }
    Py_INCREF(dicts);
    self->dicts = dicts;
    Py_INCREF(attrs);
    self->attrs = attrs;
    Py_INCREF(missing);
    self->missing = missing;
    Py_INCREF(counter);
    self->counter = counter;
    Py_INCREF(generation);
    self->generation = generation;
    Py_ssize_t n = PyTuple_GET_SIZE(specs);
    self->args = PyMem_Calloc(n ? n : 1, sizeof(ArgSpec));
    if (self->args == NULL) {
        PyObject_GC_Track(self);
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        self->nargs = i + 1;  /* what dealloc frees, if this one fails */
        if (!fill_spec(&self->args[i], PyTuple_GET_ITEM(specs, i), ndarray)) {
            PyObject_GC_Track(self);
            Py_DECREF(self);
            return NULL;
        }
    }
    self->nargs = n;
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

static PyObject *
read_array(PyObject *module, PyObject *a)
{
    /* (ndim, dims, descr) as this module reads them from the struct: dispatch.py
       compares them with a.ndim, a.shape and a.dtype before trusting the layout. */
    ArrayHead *h = (ArrayHead *)a;
    if (h->nd < 0 || h->nd > 64)
        return Py_BuildValue("(iOO)", h->nd, Py_None, Py_None);
    PyObject *dims = PyTuple_New(h->nd);
    if (dims == NULL)
        return NULL;
    for (int k = 0; k < h->nd; k++) {
        PyObject *d = PyLong_FromSsize_t(h->dimensions[k]);
        if (d == NULL) {
            Py_DECREF(dims);
            return NULL;
        }
        PyTuple_SET_ITEM(dims, k, d);
    }
    PyObject *out = Py_BuildValue("(iNO)", h->nd, dims, h->descr ? h->descr : Py_None);
    return out;
}

static PyObject *
read_array_checked(PyObject *module, PyObject *args)
{
    PyObject *a, *ndarray;
    if (!PyArg_ParseTuple(args, "OO!:read_array", &a, &PyType_Type, &ndarray))
        return NULL;
    if (!PyObject_TypeCheck(a, (PyTypeObject *)ndarray)) {
        PyErr_SetString(PyExc_TypeError, "read_array: not an ndarray");
        return NULL;
    }
    return read_array(module, a);
}

static PyTypeObject CheckerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "srcgrad._speedups.Checker",
    .tp_doc = "The warm path's argument and guard check of one specialization.",
    .tp_basicsize = sizeof(Checker),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(Checker, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_new = checker_new,
    .tp_dealloc = (destructor)checker_dealloc,
    .tp_traverse = (traverseproc)checker_traverse,
    .tp_clear = (inquiry)checker_clear,
};

static PyMethodDef methods[] = {
    {"read_array", read_array_checked, METH_VARARGS,
     "read_array(a, ndarray) -> (ndim, shape, dtype) as read from a's struct."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "srcgrad._speedups",
    "The warm path's argument check in C (optional; see dispatch.py).", -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    dtype_name = PyUnicode_InternFromString("dtype");
    if (dtype_name == NULL || PyType_Ready(&CheckerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL)
        return NULL;
    Py_INCREF(&CheckerType);
    if (PyModule_AddObject(m, "Checker", (PyObject *)&CheckerType) < 0) {
        Py_DECREF(&CheckerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}

/* Folding mostly-ASCII text piece by piece (gharbal.normalise.unicode._normalise_pieces), in C.
 *
 * Optional: when this module is not built (no C compiler at install time), the same two steps run
 * in numpy and Python with the same results. Written by hand because they are two loops over a
 * string that no library offers, and in Python they cost more than the folding itself: finding
 * the runs of non-ASCII characters of a page (numpy needs a UTF-32 copy of the page and five
 * array passes), and putting the page back together from its lower-cased ASCII stretches and its
 * folded runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* runs(text, limit) -> [(start, end), ...] of the runs of non-ASCII characters of text, or None
 * when it has more than limit of them. */
static PyObject *runs(PyObject *self, PyObject *args) {
    PyObject *text;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "Un", &text, &limit)) {
        return NULL;
    }
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (PyUnicode_IS_ASCII(text)) {
        return PyList_New(0);
    }
    Py_ssize_t count = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        count += PyUnicode_READ(kind, data, i) > 127;
    }
    if (count > limit) {
        Py_RETURN_NONE;
    }
    PyObject *out = PyList_New(0);
    if (out == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n;) {
        if (PyUnicode_READ(kind, data, i) <= 127) {
            i++;
            continue;
        }
        Py_ssize_t end = i + 1;
        while (end < n && PyUnicode_READ(kind, data, end) > 127) {
            end++;
        }
        PyObject *span = Py_BuildValue("(nn)", i, end);
        if (span == NULL || PyList_Append(out, span) < 0) {
            Py_XDECREF(span);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(span);
        i = end;
    }
    return out;
}

/* join(text, starts, ends, chunks, lower) -> text with text[starts[k]:ends[k]] replaced by
 * chunks[k] and the ASCII stretches between them lower-cased when lower is true. The spans are in
 * order and do not overlap; what lies between them must be ASCII. */
static PyObject *join(PyObject *self, PyObject *args) {
    PyObject *text, *starts, *ends, *chunks;
    int lower;
    if (!PyArg_ParseTuple(args, "UO!O!O!p", &text, &PyList_Type, &starts, &PyList_Type, &ends,
                          &PyList_Type, &chunks, &lower)) {
        return NULL;
    }
    const Py_ssize_t count = PyList_GET_SIZE(chunks), n = PyUnicode_GET_LENGTH(text);
    if (PyList_GET_SIZE(starts) != count || PyList_GET_SIZE(ends) != count) {
        PyErr_SetString(PyExc_ValueError, "gharbal.normalise._pieces: as many spans as chunks");
        return NULL;
    }
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    /* First the size and widest character of the result, checking every span and stretch. */
    Py_ssize_t total = 0, prev = 0;
    Py_UCS4 widest = 127;
    for (Py_ssize_t k = 0; k <= count; k++) {
        Py_ssize_t start = n, end = n;
        if (k < count) {
            PyObject *chunk = PyList_GET_ITEM(chunks, k);
            start = PyLong_AsSsize_t(PyList_GET_ITEM(starts, k));
            end = PyLong_AsSsize_t(PyList_GET_ITEM(ends, k));
            if (PyErr_Occurred()) {
                return NULL;
            }
            if (!PyUnicode_Check(chunk)) {
                PyErr_SetString(PyExc_TypeError, "gharbal.normalise._pieces: chunks must be str");
                return NULL;
            }
            if (start < prev || end < start || end > n) {
                PyErr_SetString(PyExc_ValueError, "gharbal.normalise._pieces: bad spans");
                return NULL;
            }
            total += PyUnicode_GET_LENGTH(chunk);
            const Py_UCS4 most = PyUnicode_MAX_CHAR_VALUE(chunk);
            widest = most > widest ? most : widest;
        }
        for (Py_ssize_t i = prev; i < start; i++) {
            if (PyUnicode_READ(kind, data, i) > 127) {
                PyErr_SetString(PyExc_ValueError,
                                "gharbal.normalise._pieces: a character above ASCII between spans");
                return NULL;
            }
        }
        total += start - prev;
        prev = end;
    }
    PyObject *out = PyUnicode_New(total, widest);
    if (out == NULL) {
        return NULL;
    }
    const int out_kind = PyUnicode_KIND(out);
    void *out_data = PyUnicode_DATA(out);
    Py_ssize_t at = 0;
    prev = 0;
    for (Py_ssize_t k = 0; k <= count; k++) {
        const Py_ssize_t start = k < count ? PyLong_AsSsize_t(PyList_GET_ITEM(starts, k)) : n;
        for (Py_ssize_t i = prev; i < start; i++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (lower && c >= 'A' && c <= 'Z') {
                c += 32;
            }
            PyUnicode_WRITE(out_kind, out_data, at++, c);
        }
        if (k < count) {
            PyObject *chunk = PyList_GET_ITEM(chunks, k);
            const Py_ssize_t len = PyUnicode_GET_LENGTH(chunk);
            if (PyUnicode_CopyCharacters(out, at, chunk, 0, len) < 0) {
                Py_DECREF(out);
                return NULL;
            }
            at += len;
            prev = PyLong_AsSsize_t(PyList_GET_ITEM(ends, k));
        }
    }
    return out;
}

static PyMethodDef methods[] = {
    {"runs", runs, METH_VARARGS, "Spans of the runs of non-ASCII characters of a text."},
    {"join", join, METH_VARARGS, "A text with spans replaced and ASCII between them lower-cased."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "gharbal.normalise._pieces", "Piecewise folding helpers in C.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__pieces(void) { return PyModule_Create(&module); }

/* Folding mostly-ASCII text piece by piece (gharbal.normalise.unicode._normalise_pieces), in C.
 *
 * Optional: when this module is not built (no C compiler at install time), the same two steps run
 * in numpy and Python with the same results. Written by hand because they are loops over a
 * string that no library offers, and in Python they cost more than the folding itself: finding
 * the runs of characters a round could change (numpy needs a UTF-32 copy of the page and five
 * array passes), gathering them, and putting the page back together from its stable stretches
 * (ASCII capitals lowered) and its folded runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Is c stable (see unicode._stable_table: one byte per BMP code point; above the BMP, no)? */
static inline int is_stable(const unsigned char *stable, Py_UCS4 c) {
    return c <= 0xFFFF && stable[c];
}

/* A list of n Python ints from a C array; NULL on failure. */
static PyObject *int_list(const Py_ssize_t *values, Py_ssize_t n) {
    PyObject *out = PyList_New(n);
    if (out == NULL) {
        return NULL;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *v = PyLong_FromSsize_t(values[k]);
        if (v == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, k, v);
    }
    return out;
}

/* runs(text, limit, stable) -> (starts, ends): for every run of characters of text that are not
 * stable, the start of the run less one character (not below 0) and its end; None when more than
 * limit characters are not stable. stable: bytes, one per BMP code point. */
static PyObject *runs(PyObject *self, PyObject *args) {
    PyObject *text;
    Py_ssize_t limit;
    Py_buffer stable_buf;
    if (!PyArg_ParseTuple(args, "Uny*", &text, &limit, &stable_buf)) {
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t *bounds = NULL;
    if (stable_buf.len != 0x10000) {
        PyErr_SetString(PyExc_ValueError, "gharbal.normalise._pieces: stable has 65536 bytes");
        goto done;
    }
    const unsigned char *stable = stable_buf.buf;
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t count = 0, nruns = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        const int unstable = !is_stable(stable, PyUnicode_READ(kind, data, i));
        count += unstable;
        nruns += unstable && (i == 0 || is_stable(stable, PyUnicode_READ(kind, data, i - 1)));
    }
    if (count > limit) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    bounds = PyMem_Malloc((size_t)(2 * nruns + 1) * sizeof(Py_ssize_t));
    if (bounds == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n;) {
        if (is_stable(stable, PyUnicode_READ(kind, data, i))) {
            i++;
            continue;
        }
        Py_ssize_t end = i + 1;
        while (end < n && !is_stable(stable, PyUnicode_READ(kind, data, end))) {
            end++;
        }
        bounds[k] = i > 0 ? i - 1 : 0;
        bounds[nruns + k] = end;
        k++;
        i = end;
    }
    PyObject *starts = int_list(bounds, nruns);
    PyObject *ends = starts != NULL ? int_list(bounds + nruns, nruns) : NULL;
    if (starts != NULL && ends != NULL) {
        result = PyTuple_Pack(2, starts, ends);
    }
    Py_XDECREF(starts);
    Py_XDECREF(ends);
done:
    PyMem_Free(bounds);
    PyBuffer_Release(&stable_buf);
    return result;
}

/* The spans of starts/ends (lists of as many ints, in order, not overlapping, inside a text of n
 * characters) as C arrays; 0 with an exception set if they are not. */
static int spans_of(PyObject *starts, PyObject *ends, Py_ssize_t n, Py_ssize_t **out) {
    const Py_ssize_t count = PyList_GET_SIZE(starts);
    if (PyList_GET_SIZE(ends) != count) {
        PyErr_SetString(PyExc_ValueError, "gharbal.normalise._pieces: as many starts as ends");
        return 0;
    }
    Py_ssize_t *s = PyMem_Malloc((size_t)(2 * count + 1) * sizeof(Py_ssize_t));
    if (s == NULL) {
        PyErr_NoMemory();
        return 0;
    }
    Py_ssize_t prev = 0;
    for (Py_ssize_t k = 0; k < count; k++) {
        s[k] = PyLong_AsSsize_t(PyList_GET_ITEM(starts, k));
        s[count + k] = PyLong_AsSsize_t(PyList_GET_ITEM(ends, k));
        if (PyErr_Occurred()) {
            PyMem_Free(s);
            return 0;
        }
        if (s[k] < prev || s[count + k] < s[k] || s[count + k] > n) {
            PyMem_Free(s);
            PyErr_SetString(PyExc_ValueError, "gharbal.normalise._pieces: bad spans");
            return 0;
        }
        prev = s[count + k];
    }
    *out = s;
    return 1;
}

/* gather(text, starts, ends) -> the pieces text[starts[k]:ends[k]] joined by NUL. */
static PyObject *gather(PyObject *self, PyObject *args) {
    PyObject *text, *starts, *ends;
    if (!PyArg_ParseTuple(args, "UO!O!", &text, &PyList_Type, &starts, &PyList_Type, &ends)) {
        return NULL;
    }
    Py_ssize_t *s = NULL;
    if (!spans_of(starts, ends, PyUnicode_GET_LENGTH(text), &s)) {
        return NULL;
    }
    const Py_ssize_t count = PyList_GET_SIZE(starts);
    const int text_kind = PyUnicode_KIND(text);
    const void *text_data = PyUnicode_DATA(text);
    Py_ssize_t total = count > 0 ? count - 1 : 0;
    Py_UCS4 widest = 0; /* of the pieces (the result must be made for its widest character) */
    for (Py_ssize_t k = 0; k < count; k++) {
        total += s[count + k] - s[k];
        for (Py_ssize_t i = s[k]; i < s[count + k]; i++) {
            const Py_UCS4 c = PyUnicode_READ(text_kind, text_data, i);
            widest = c > widest ? c : widest;
        }
    }
    PyObject *out = PyUnicode_New(total, widest);
    if (out == NULL) {
        PyMem_Free(s);
        return NULL;
    }
    const int kind = PyUnicode_KIND(out);
    void *data = PyUnicode_DATA(out);
    Py_ssize_t at = 0;
    for (Py_ssize_t k = 0; k < count; k++) {
        if (k > 0) {
            PyUnicode_WRITE(kind, data, at++, 0);
        }
        const Py_ssize_t len = s[count + k] - s[k];
        if (PyUnicode_CopyCharacters(out, at, text, s[k], len) < 0) {
            Py_DECREF(out);
            PyMem_Free(s);
            return NULL;
        }
        at += len;
    }
    PyMem_Free(s);
    return out;
}

/* join(text, starts, ends, chunks, lower, stable) -> text with text[starts[k]:ends[k]] replaced by
 * chunks[k] and the ASCII capitals between them lowered when lower is true. What lies between
 * the spans must be stable (it is copied, not normalised). */
static PyObject *join(PyObject *self, PyObject *args) {
    PyObject *text, *starts, *ends, *chunks;
    int lower;
    Py_buffer stable_buf;
    if (!PyArg_ParseTuple(args, "UO!O!O!py*", &text, &PyList_Type, &starts, &PyList_Type, &ends,
                          &PyList_Type, &chunks, &lower, &stable_buf)) {
        return NULL;
    }
    PyObject *out = NULL;
    Py_ssize_t *s = NULL;
    const Py_ssize_t count = PyList_GET_SIZE(chunks), n = PyUnicode_GET_LENGTH(text);
    if (stable_buf.len != 0x10000) {
        PyErr_SetString(PyExc_ValueError, "gharbal.normalise._pieces: stable has 65536 bytes");
        goto done;
    }
    if (PyList_GET_SIZE(starts) != count) {
        PyErr_SetString(PyExc_ValueError, "gharbal.normalise._pieces: as many spans as chunks");
        goto done;
    }
    if (!spans_of(starts, ends, n, &s)) {
        goto done;
    }
    const unsigned char *stable = stable_buf.buf;
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    /* First the size and widest character of the result (a string must be made for its widest
     * character: a chunk's kind is the narrowest for it), checking every chunk and stretch. */
    Py_ssize_t total = 0, prev = 0;
    Py_UCS4 widest = 127;
    for (Py_ssize_t k = 0; k <= count; k++) {
        const Py_ssize_t start = k < count ? s[k] : n;
        if (k < count) {
            PyObject *chunk = PyList_GET_ITEM(chunks, k);
            if (!PyUnicode_Check(chunk)) {
                PyErr_SetString(PyExc_TypeError, "gharbal.normalise._pieces: chunks must be str");
                goto done;
            }
            total += PyUnicode_GET_LENGTH(chunk);
            const Py_UCS4 most = PyUnicode_MAX_CHAR_VALUE(chunk);
            widest = most > widest ? most : widest;
        }
        for (Py_ssize_t i = prev; i < start; i++) {
            const Py_UCS4 c = PyUnicode_READ(kind, data, i);
            if (!is_stable(stable, c)) {
                PyErr_SetString(PyExc_ValueError,
                                "gharbal.normalise._pieces: a character between spans is not stable");
                goto done;
            }
            widest = c > widest ? c : widest;
        }
        total += start - prev;
        prev = k < count ? s[count + k] : n;
    }
    out = PyUnicode_New(total, widest);
    if (out == NULL) {
        goto done;
    }
    const int out_kind = PyUnicode_KIND(out);
    void *out_data = PyUnicode_DATA(out);
    Py_ssize_t at = 0;
    prev = 0;
    for (Py_ssize_t k = 0; k <= count; k++) {
        const Py_ssize_t start = k < count ? s[k] : n;
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
                Py_CLEAR(out);
                goto done;
            }
            at += len;
            prev = s[count + k];
        }
    }
done:
    PyMem_Free(s);
    PyBuffer_Release(&stable_buf);
    return out;
}

static PyMethodDef methods[] = {
    {"runs", runs, METH_VARARGS, "The pieces of a text to normalise (runs of unstable characters)."},
    {"gather", gather, METH_VARARGS, "The pieces of a text joined by NUL."},
    {"join", join, METH_VARARGS, "A text with its pieces replaced and ASCII between them lowered."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "gharbal.normalise._pieces", "Piecewise folding helpers in C.", -1,
    methods,
};

PyMODINIT_FUNC PyInit__pieces(void) { return PyModule_Create(&module); }

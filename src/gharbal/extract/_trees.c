/* Tree-ensemble evaluation for the line classifier (gharbal.extract.model), in C.
 *
 * Optional: when this module is not built (no C compiler at install time), the same functions run
 * in numpy (gharbal.extract.model._Heap.walk). Written by hand because no library evaluates our
 * shipped JSON trees with their per-feature contributions: LightGBM's own predictor needs its model
 * text and gives SHAP values, not the path contributions the explanations are built on, and it
 * brings scipy.
 *
 * The trees are complete binary trees of equal depth in heap order (see _Heap in model.py): tree t
 * has `inner` inner nodes and `leaves` leaves; a row goes right when x[feature] > threshold. An
 * inner node is one uint64: the feature in the high 32 bits, the float32 threshold's bits in the
 * low 32 (one load a step of the walk instead of two). Every sum is made in the order the numpy
 * code makes it, so both give the same bits:
 *   - a row's raw score adds the trees' leaf values in tree order (numpy: cumsum along the trees);
 *   - a row's contributions add, in tree order and in double precision, those of the leaves it
 *     reaches: each leaf's change of mean value along its path per group of features, made once
 *     per model in numpy and stored as float32 (_Heap.leaf_contributions: half the table, which
 *     is read at random and does not fit the second-level cache; numpy: cumsum along the trees
 *     in float64).
 * Arguments are C-contiguous buffers (numpy arrays); sizes are checked here.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    Py_buffer nodes;     /* uint64 [trees * inner]: feature << 32 | float32 threshold bits */
    Py_buffer values;    /* float64 [trees * leaves] */
    Py_buffer x;         /* float32 [rows * width] */
    Py_buffer out;       /* float64 [rows] (walk) or [rows * cols] (explain) */
    Py_buffer raw;       /* float64 [rows] (explain only) */
} Buffers;

static void release(Buffers *b) {
    Py_buffer *all[] = {&b->nodes, &b->values, &b->x, &b->out, &b->raw};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (all[i]->obj != NULL) {
            PyBuffer_Release(all[i]);
        }
    }
}

static int check(int ok, const char *what) {
    if (!ok) {
        PyErr_Format(PyExc_ValueError, "gharbal.extract._trees: wrong size of %s", what);
    }
    return ok;
}

/* Is the buffer's memory aligned for items of `size` bytes? (numpy arrays are; a view of raw
 * bytes may not be.) */
static int aligned(const Py_buffer *b, size_t size) { return (uintptr_t)b->buf % size == 0; }

static int share_memory(const Py_buffer *a, const Py_buffer *b) {
    const char *x = a->buf, *y = b->buf;
    return a->obj != NULL && b->obj != NULL && a->len > 0 && b->len > 0 && x < y + b->len &&
           y < x + a->len;
}

/* The outputs (out, raw) are written while nodes, values, x (and the contribution table) are
 * read: an output sharing memory with any other buffer would change the features the walk
 * indexes x with after they were checked. */
static int disjoint(const Buffers *b, const Py_buffer *table) {
    const Py_buffer *outs[] = {&b->out, &b->raw};
    const Py_buffer *all[] = {&b->nodes, &b->values, &b->x, &b->out, &b->raw, table};
    for (size_t i = 0; i < 2; i++) {
        for (size_t j = 0; j < sizeof all / sizeof all[0]; j++) {
            if (all[j] != NULL && all[j] != outs[i] && share_memory(outs[i], all[j])) {
                PyErr_SetString(PyExc_ValueError,
                                "gharbal.extract._trees: an output buffer shares memory with "
                                "another buffer");
                return 0;
            }
        }
    }
    return 1;
}

/* Every split feature must index a column of x (a damaged model must not read out of bounds). */
static int features_in_range(const uint64_t *nodes, Py_ssize_t count, Py_ssize_t width) {
    for (Py_ssize_t k = 0; k < count; k++) {
        if ((Py_ssize_t)(nodes[k] >> 32) >= width) {
            PyErr_SetString(PyExc_ValueError, "gharbal.extract._trees: split feature out of range");
            return 0;
        }
    }
    return 1;
}

typedef struct {
    Py_ssize_t inner, leaves, slots, trees, rows;
} Shape;

/* The forest's and the rows' sizes, from the buffers, checked against each other (one leaf value a
 * leaf); the row count is read off `rows_of` (one double a row). Returns 0 with a ValueError set if
 * anything disagrees. */
static int shape_of(const Buffers *b, int depth, Py_ssize_t width, const Py_buffer *rows_of,
                    Shape *s) {
    if (depth < 0 || depth > 30 || width <= 0) {
        PyErr_SetString(PyExc_ValueError, "gharbal.extract._trees: bad depth or width");
        return 0;
    }
    s->inner = ((Py_ssize_t)1 << depth) - 1;
    s->leaves = (Py_ssize_t)1 << depth;
    s->slots = s->inner > 0 ? s->inner : 1;
    const Py_ssize_t per_tree = s->leaves;
    s->trees = b->values.len / (Py_ssize_t)(per_tree * sizeof(double));
    s->rows = rows_of->len / (Py_ssize_t)sizeof(double);
    if (!aligned(&b->nodes, 8) || !aligned(&b->values, 8) ||
        !aligned(&b->x, 4) || !aligned(&b->out, 8) ||
        (b->raw.obj != NULL && !aligned(&b->raw, 8))) {
        return check(0, "alignment");
    }
    if (s->rows > 0 && width > b->x.len / (Py_ssize_t)sizeof(float) / s->rows) {
        return check(0, "rows"); /* (a check by division: no product can overflow) */
    }
    return check(b->values.len == s->trees * per_tree * (Py_ssize_t)sizeof(double), "values") &&
           check(b->nodes.len == s->trees * s->slots * (Py_ssize_t)sizeof(uint64_t), "nodes") &&
           check(b->x.len == s->rows * width * (Py_ssize_t)sizeof(float), "rows") &&
           features_in_range(b->nodes.buf, s->trees * s->slots, width);
}

enum { WALK_ROWS = 16, WALK_BLOCK = 64, WALK_FEW = 4 };

#if defined(__GNUC__) || defined(__clang__)
#define ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE static inline
#endif

/* Walks `lanes` rows (a constant where it is called: the loops unroll) from row r down one tree
 * at a time, p[j] = the heap position reached by row r + j; rows past the k real ones repeat row r
 * (their results are not read). */
ALWAYS_INLINE void descend(const uint64_t *tn, const float *x, Py_ssize_t width, Py_ssize_t r,
                           Py_ssize_t k, int depth, int lanes, Py_ssize_t *p) {
    const float *xj[WALK_ROWS];
    for (int j = 0; j < lanes; j++) {
        xj[j] = x + (r + (j < k ? j : 0)) * width;
        p[j] = 0;
    }
    for (int d = 0; d < depth; d++) {
        for (int j = 0; j < lanes; j++) {
            const uint64_t node = tn[p[j]];
            const uint32_t bits = (uint32_t)node;
            float threshold;
            memcpy(&threshold, &bits, sizeof threshold);
            p[j] = 2 * p[j] + 1 + (xj[j][node >> 32] > threshold);
        }
    }
}

/* The walk of walk() and explain(): out[r] = the sum of the trees' leaf values for row r, and with
 * contrib (not NULL), contrib_out[r * cols + g] = the sum of the trees' leaf contributions
 * contrib[(t * leaves + leaf) * cols + g] (float32, added as doubles). Rows go in blocks small
 * enough to stay in the first-level cache while every tree walks them; in a block, WALK_ROWS rows at
 * a time: independent walks the processor overlaps (the last 8 rows of a block or fewer, WALK_FEW
 * at a time: a page of 3 lines walked 16). Each row adds its trees in tree order; the first tree's value
 * is stored, the others added (as numpy's cumsum: a sum of -0.0 values stays -0.0). */
static void walk_rows(const uint64_t *nodes, const double *leaf, int depth,
                      Py_ssize_t inner, Py_ssize_t leaves, Py_ssize_t slots, Py_ssize_t trees,
                      const float *x, Py_ssize_t width, Py_ssize_t rows, double *out,
                      const float *contrib, Py_ssize_t cols, double *contrib_out) {
    for (Py_ssize_t r0 = 0; r0 < rows; r0 += WALK_BLOCK) {
        const Py_ssize_t r1 = r0 + WALK_BLOCK < rows ? r0 + WALK_BLOCK : rows;
        for (Py_ssize_t t = 0; t < trees; t++) {
            const uint64_t *tn = nodes + t * slots;
            const double *tl = leaf + t * leaves;
            for (Py_ssize_t r = r0; r < r1;) {
                Py_ssize_t p[WALK_ROWS];
                Py_ssize_t k;
                if (r1 - r > 2 * WALK_FEW) {
                    k = r1 - r < WALK_ROWS ? r1 - r : WALK_ROWS;
                    descend(tn, x, width, r, k, depth, WALK_ROWS, p);
                } else {
                    k = r1 - r < WALK_FEW ? r1 - r : WALK_FEW;
                    descend(tn, x, width, r, k, depth, WALK_FEW, p);
                }
                for (Py_ssize_t j = 0; j < k; j++) {
                    const Py_ssize_t at = p[j] - inner;
                    out[r + j] = t == 0 ? tl[at] : out[r + j] + tl[at];
                    if (contrib != NULL) {
                        const float *c = contrib + (t * leaves + at) * cols;
                        double *o = contrib_out + (r + j) * cols;
                        if (t == 0) {
                            for (Py_ssize_t g = 0; g < cols; g++) {
                                o[g] = (double)c[g];
                            }
                        } else {
                            for (Py_ssize_t g = 0; g < cols; g++) {
                                o[g] += (double)c[g];
                            }
                        }
                    }
                }
                r += k;
            }
        }
    }
}

/* walk(nodes, leaf_value, depth, x, width, out): out[r] = raw score of row r. */
static PyObject *walk(PyObject *self, PyObject *args) {
    Buffers b;
    memset(&b, 0, sizeof b);
    int depth;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "y*y*iy*nw*", &b.nodes, &b.values, &depth, &b.x, &width,
                          &b.out)) {
        release(&b);
        return NULL;
    }
    PyObject *result = NULL;
    Shape s;
    if (!shape_of(&b, depth, width, &b.out, &s) || !disjoint(&b, NULL)) {
        goto done;
    }
    const Py_ssize_t inner = s.inner, leaves = s.leaves, slots = s.slots;
    const Py_ssize_t trees = s.trees, rows = s.rows;
    const uint64_t *nodes = b.nodes.buf;
    const double *leaf = b.values.buf;
    const float *x = b.x.buf;
    double *out = b.out.buf;
    for (Py_ssize_t r = 0; r < rows; r++) {
        out[r] = 0.0;
    }
    Py_BEGIN_ALLOW_THREADS
    walk_rows(nodes, leaf, depth, inner, leaves, slots, trees, x, width, rows, out, NULL, 0, NULL);
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    release(&b);
    return result;
}

/* explain(nodes, leaf_value, depth, x, width, raw, contrib, leaf_contrib, cols): raw
 * as walk; contrib[r * cols + g] = the sum over the trees, in tree order, of the contribution to
 * group g of the leaf row r reaches: leaf_contrib[(t * leaves + leaf) * cols + g] (made once per
 * model by model._Heap.leaf_contributions). */
static PyObject *explain(PyObject *self, PyObject *args) {
    Buffers b;
    memset(&b, 0, sizeof b);
    int depth;
    Py_ssize_t width, cols;
    Py_buffer table;
    memset(&table, 0, sizeof table);
    if (!PyArg_ParseTuple(args, "y*y*iy*nw*w*y*n", &b.nodes, &b.values, &depth, &b.x, &width,
                          &b.raw, &b.out, &table, &cols)) {
        release(&b);
        if (table.obj != NULL) {
            PyBuffer_Release(&table);
        }
        return NULL;
    }
    PyObject *result = NULL;
    Shape s;
    if (!shape_of(&b, depth, width, &b.raw, &s) || !disjoint(&b, &table) ||
        !check(aligned(&table, sizeof(float)), "alignment") ||
        !check(cols > 0, "contribution columns") ||
        !check(s.trees == 0 || cols <= table.len / (Py_ssize_t)sizeof(float) / s.trees / s.leaves,
               "contribution table") ||
        !check(table.len == s.trees * s.leaves * cols * (Py_ssize_t)sizeof(float),
               "contribution table") ||
        !check(s.rows == 0 || cols <= b.out.len / (Py_ssize_t)sizeof(double) / s.rows,
               "contributions") ||
        !check(b.out.len == s.rows * cols * (Py_ssize_t)sizeof(double), "contributions")) {
        goto done;
    }
    if (s.trees == 0) { /* nothing to walk: raw 0, contributions 0 */
        memset(b.raw.buf, 0, (size_t)b.raw.len);
        memset(b.out.buf, 0, (size_t)b.out.len);
        result = Py_NewRef(Py_None);
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    walk_rows(b.nodes.buf, b.values.buf, depth, s.inner, s.leaves, s.slots, s.trees, b.x.buf,
              width, s.rows, b.raw.buf, table.buf, cols, b.out.buf);
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    release(&b);
    PyBuffer_Release(&table);
    return result;
}

/* stage2(s1, x, width, out): out = [x | stage-2 features of the stage-1 raw scores s1], one row a
 * line (x float32 [rows * width], out float32 [rows * (width + 15)]), as model.stage2_features
 * computes them with numpy, in the same precision (same bits; a test checks). */
#define EDGE_SCORE (-8.0f)
static PyObject *stage2(PyObject *self, PyObject *args) {
    Py_buffer s1b, xb, outb;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "y*y*nw*", &s1b, &xb, &width, &outb)) {
        return NULL;
    }
    PyObject *result = NULL;
    float *p = NULL;
    double *csum = NULL;
    Py_ssize_t *next = NULL;
    const Py_ssize_t n = s1b.len / (Py_ssize_t)sizeof(double);
    const Py_ssize_t w2 = width >= 0 && width <= PY_SSIZE_T_MAX / 2 ? width + 15 : 0;
    if (width < 0 || width > PY_SSIZE_T_MAX / 2 || !aligned(&s1b, 8) || !aligned(&xb, 4) ||
        !aligned(&outb, 4) ||
        (n > 0 && width > xb.len / (Py_ssize_t)sizeof(float) / n) ||
        xb.len != n * width * (Py_ssize_t)sizeof(float) ||
        (n > 0 && w2 > outb.len / (Py_ssize_t)sizeof(float) / n) ||
        outb.len != n * w2 * (Py_ssize_t)sizeof(float)) {
        PyErr_SetString(PyExc_ValueError, "gharbal.extract._trees: stage2: wrong sizes");
        goto done;
    }
    p = PyMem_Malloc((size_t)(n + 1) * sizeof(float));
    csum = PyMem_Malloc((size_t)(n + 1) * sizeof(double));
    next = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_ssize_t));
    if (p == NULL || csum == NULL || next == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const double *s1 = s1b.buf;
    const float *x = xb.buf;
    float *out = outb.buf;
    csum[0] = 0.0;
    Py_ssize_t kept = 0, first = -1, last = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        const float s = (float)s1[i];
        p[i] = (float)(1.0 / (1.0 + exp(-(double)s)));
        csum[i + 1] = csum[i] + (double)p[i];
        if (p[i] >= 0.5f) {
            kept++;
            last = i;
            if (first < 0) {
                first = i;
            }
        }
    }
    for (Py_ssize_t i = n - 1, following = -1; i >= 0; i--) {
        next[i] = following;
        if (p[i] >= 0.5f) {
            following = i;
        }
    }
    static const int offsets[6] = {-3, -2, -1, 1, 2, 3};
    const float page_mean = n > 0 ? (float)(csum[n] / (double)n) : 0.0f;
    const float share = n > 0 ? (float)((double)kept / (double)n) : 0.0f;
    const float none = (float)log1p((double)(n + 1));
    Py_ssize_t previous = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        float *row = out + i * w2;
        memcpy(row, x + i * width, (size_t)width * sizeof(float));
        float *f = row + width;
        f[0] = (float)s1[i];
        for (int k = 0; k < 6; k++) {
            const Py_ssize_t j = i + offsets[k];
            f[1 + k] = (j >= 0 && j < n) ? (float)s1[j] : EDGE_SCORE;
        }
        const int radii[2] = {3, 10};
        for (int r = 0; r < 2; r++) {
            const Py_ssize_t lo = i - radii[r] > 0 ? i - radii[r] : 0;
            const Py_ssize_t hi = i + radii[r] + 1 < n ? i + radii[r] + 1 : n;
            f[7 + r] = (float)((csum[hi] - csum[lo]) / (double)(hi - lo));
        }
        f[9] = page_mean;
        f[10] = share;
        if (kept == 0) {
            f[11] = f[12] = 1.0f;
            f[13] = f[14] = none;
        } else {
            f[11] = (float)(i < first);
            f[12] = (float)(i > last);
            f[13] = (float)log1p((double)(previous >= 0 ? i - previous : n + 1));
            f[14] = (float)log1p((double)(next[i] >= 0 ? next[i] - i : n + 1));
        }
        if (p[i] >= 0.5f) {
            previous = i;
        }
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(p);
    PyMem_Free(csum);
    PyMem_Free(next);
    PyBuffer_Release(&s1b);
    PyBuffer_Release(&xb);
    PyBuffer_Release(&outb);
    return result;
}

static PyMethodDef methods[] = {
    {"walk", walk, METH_VARARGS, "Raw scores of the rows of x (see gharbal.extract.model)."},
    {"explain", explain, METH_VARARGS, "Raw scores and path contributions of the rows of x."},
    {"stage2", stage2, METH_VARARGS, "Rows of x with the stage-2 features of their scores."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "gharbal.extract._trees", "Tree-ensemble evaluation in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__trees(void) { return PyModule_Create(&module); }

/* Tree-ensemble evaluation for the line classifier (gharbal.extract.model), in C.
 *
 * Optional: when this module is not built (no C compiler at install time), the same functions run
 * in numpy (gharbal.extract.model._Heap.walk). Written by hand because no library evaluates our
 * shipped JSON trees with their per-feature contributions: LightGBM's own predictor needs its model
 * text and gives SHAP values, not the path contributions the explanations are built on, and it
 * brings scipy.
 *
 * The trees are complete binary trees of equal depth in heap order (see _Heap in model.py): tree t
 * has `inner` inner nodes (feature and float32 threshold) and `leaves` leaves; a row goes right when
 * x[feature] > threshold. Every sum is made in the order the numpy code makes it, so both give the
 * same bits:
 *   - a row's raw score adds the trees' leaf values in tree order (numpy: cumsum along the trees);
 *   - a contribution adds, level by level, the change of mean value along each tree's path, first
 *     summed over the trees in order for that level (numpy: one bincount per level), then added to
 *     the running total (numpy: out += level).
 * Arguments are C-contiguous buffers (numpy arrays); sizes are checked here.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    Py_buffer feature;   /* int64 [trees * inner] */
    Py_buffer threshold; /* float32 [trees * inner] */
    Py_buffer values;    /* float64 [trees * leaves] (walk) or [trees * nodes] (explain) */
    Py_buffer x;         /* float32 [rows * width] */
    Py_buffer out;       /* float64 [rows] (walk) or [rows * width] (explain) */
    Py_buffer raw;       /* float64 [rows] (explain only) */
} Buffers;

static void release(Buffers *b) {
    Py_buffer *all[] = {&b->feature, &b->threshold, &b->values, &b->x, &b->out, &b->raw};
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

/* Every split feature must index a column of x (a damaged model must not read out of bounds). */
static int features_in_range(const int64_t *feature, Py_ssize_t count, Py_ssize_t width) {
    for (Py_ssize_t k = 0; k < count; k++) {
        if (feature[k] < 0 || feature[k] >= width) {
            PyErr_SetString(PyExc_ValueError, "gharbal.extract._trees: split feature out of range");
            return 0;
        }
    }
    return 1;
}

typedef struct {
    Py_ssize_t inner, leaves, slots, trees, rows;
} Shape;

/* The forest's and the rows' sizes, from the buffers, checked against each other: `per_tree` is
 * how many values a tree has (its leaves, or all its nodes); the row count is read off `rows_of`
 * (one double a row). Returns 0 with a ValueError set if anything disagrees. */
static int shape_of(const Buffers *b, int depth, Py_ssize_t width, int all_nodes,
                    const Py_buffer *rows_of, Shape *s) {
    if (depth < 0 || depth > 30 || width <= 0) {
        PyErr_SetString(PyExc_ValueError, "gharbal.extract._trees: bad depth or width");
        return 0;
    }
    s->inner = ((Py_ssize_t)1 << depth) - 1;
    s->leaves = (Py_ssize_t)1 << depth;
    s->slots = s->inner > 0 ? s->inner : 1;
    const Py_ssize_t per_tree = all_nodes ? s->inner + s->leaves : s->leaves;
    s->trees = b->values.len / (Py_ssize_t)(per_tree * sizeof(double));
    s->rows = rows_of->len / (Py_ssize_t)sizeof(double);
    if (s->rows > 0 && width > b->x.len / (Py_ssize_t)sizeof(float) / s->rows) {
        return check(0, "rows"); /* (a check by division: no product can overflow) */
    }
    return check(b->values.len == s->trees * per_tree * (Py_ssize_t)sizeof(double), "values") &&
           check(b->feature.len == s->trees * s->slots * (Py_ssize_t)sizeof(int64_t), "features") &&
           check(b->threshold.len == s->trees * s->slots * (Py_ssize_t)sizeof(float),
                 "thresholds") &&
           check(b->x.len == s->rows * width * (Py_ssize_t)sizeof(float), "rows") &&
           features_in_range(b->feature.buf, s->trees * s->slots, width);
}

/* walk(feature, threshold, leaf_value, depth, x, width, out): out[r] = raw score of row r. */
static PyObject *walk(PyObject *self, PyObject *args) {
    Buffers b;
    memset(&b, 0, sizeof b);
    int depth;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "y*y*y*iy*nw*", &b.feature, &b.threshold, &b.values, &depth, &b.x,
                          &width, &b.out)) {
        release(&b);
        return NULL;
    }
    PyObject *result = NULL;
    Shape s;
    if (!shape_of(&b, depth, width, 0, &b.out, &s)) {
        goto done;
    }
    const Py_ssize_t inner = s.inner, leaves = s.leaves, slots = s.slots;
    const Py_ssize_t trees = s.trees, rows = s.rows;
    const int64_t *feature = b.feature.buf;
    const float *threshold = b.threshold.buf;
    const double *leaf = b.values.buf;
    const float *x = b.x.buf;
    double *out = b.out.buf;
    for (Py_ssize_t r = 0; r < rows; r++) {
        out[r] = 0.0;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t t = 0; t < trees; t++) {
        /* The first tree's value is stored, the others added (as numpy's cumsum: a sum of -0.0
         * leaves stays -0.0). */
        const int64_t *tf = feature + t * slots;
        const float *tt = threshold + t * slots;
        const double *tl = leaf + t * leaves;
        Py_ssize_t r = 0;
        /* Four rows at a time: four independent walks the processor can overlap (each row
         * still adds its trees in tree order). */
        for (; r + 4 <= rows; r += 4) {
            const float *x0 = x + r * width, *x1 = x0 + width, *x2 = x1 + width, *x3 = x2 + width;
            Py_ssize_t p0 = 0, p1 = 0, p2 = 0, p3 = 0;
            for (int d = 0; d < depth; d++) {
                p0 = 2 * p0 + 1 + (x0[tf[p0]] > tt[p0]);
                p1 = 2 * p1 + 1 + (x1[tf[p1]] > tt[p1]);
                p2 = 2 * p2 + 1 + (x2[tf[p2]] > tt[p2]);
                p3 = 2 * p3 + 1 + (x3[tf[p3]] > tt[p3]);
            }
            if (t == 0) {
                out[r] = tl[p0 - inner], out[r + 1] = tl[p1 - inner];
                out[r + 2] = tl[p2 - inner], out[r + 3] = tl[p3 - inner];
            } else {
                out[r] += tl[p0 - inner], out[r + 1] += tl[p1 - inner];
                out[r + 2] += tl[p2 - inner], out[r + 3] += tl[p3 - inner];
            }
        }
        for (; r < rows; r++) {
            const float *row = x + r * width;
            Py_ssize_t pos = 0;
            for (int d = 0; d < depth; d++) {
                pos = 2 * pos + 1 + (row[tf[pos]] > tt[pos]);
            }
            out[r] = t == 0 ? tl[pos - inner] : out[r] + tl[pos - inner];
        }
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    release(&b);
    return result;
}

/* explain(feature, threshold, node_value, depth, x, width, raw, contrib, group_of, cols): raw[r] as
 * walk (from the bottom level of node_value), contrib[r * cols + g] the path contributions of the
 * features f with group_of[f] == g (group_of: the identity and cols = width for one column a
 * feature). */
static PyObject *explain(PyObject *self, PyObject *args) {
    Buffers b;
    memset(&b, 0, sizeof b);
    int depth;
    Py_ssize_t width;
    Py_buffer group_buf;
    Py_ssize_t cols;
    memset(&group_buf, 0, sizeof group_buf);
    if (!PyArg_ParseTuple(args, "y*y*y*iy*nw*w*y*n", &b.feature, &b.threshold, &b.values, &depth,
                          &b.x, &width, &b.raw, &b.out, &group_buf, &cols)) {
        release(&b);
        if (group_buf.obj != NULL) {
            PyBuffer_Release(&group_buf);
        }
        return NULL;
    }
    PyObject *result = NULL;
    double *level = NULL;
    Shape s;
    const int64_t *group_of = group_buf.buf;
    if (!shape_of(&b, depth, width, 1, &b.raw, &s) || cols <= 0 || cols > width ||
        !check(group_buf.len == width * (Py_ssize_t)sizeof(int64_t), "groups") ||
        !check(b.out.len == s.rows * cols * (Py_ssize_t)sizeof(double), "contributions")) {
        goto done;
    }
    for (Py_ssize_t f = 0; f < width; f++) {
        if (group_of[f] < 0 || group_of[f] >= cols) {
            PyErr_SetString(PyExc_ValueError, "gharbal.extract._trees: group out of range");
            goto done;
        }
    }
    const Py_ssize_t nodes = s.inner + s.leaves, slots = s.slots;
    const Py_ssize_t trees = s.trees, rows = s.rows;
    const int64_t *feature = b.feature.buf;
    const float *threshold = b.threshold.buf;
    const double *value = b.values.buf;
    const float *x = b.x.buf;
    double *raw = b.raw.buf, *out = b.out.buf;
    /* Rows in blocks of four (independent walks the processor can overlap). Each row keeps one
     * accumulator per level and feature, filled tree by tree in tree order; the levels are then
     * added in order: the same sums, in the same order, as the numpy path. */
    enum { BLOCK = 4 };
    if (rows == 0 || trees == 0) { /* nothing to walk (raw stays as it is, contributions 0) */
        for (Py_ssize_t r = 0; r < rows; r++) {
            raw[r] = 0.0;
            memset(out + r * cols, 0, (size_t)cols * sizeof(double));
        }
        result = Py_NewRef(Py_None);
        goto done;
    }
    const Py_ssize_t per_row = (Py_ssize_t)depth * cols;
    level = PyMem_Malloc((size_t)(BLOCK * per_row) * sizeof(double) + 1);
    if (level == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r0 = 0; r0 < rows; r0 += BLOCK) {
        const Py_ssize_t k = rows - r0 < BLOCK ? rows - r0 : BLOCK;
        memset(level, 0, (size_t)(k * per_row) * sizeof(double));
        double sum[BLOCK] = {0.0, 0.0, 0.0, 0.0};
        const float *xr[BLOCK];
        for (Py_ssize_t j = 0; j < BLOCK; j++) {
            xr[j] = x + (r0 + (j < k ? j : 0)) * width;
        }
        for (Py_ssize_t t = 0; t < trees; t++) {
            const int64_t *tf = feature + t * slots;
            const float *tt = threshold + t * slots;
            const double *tv = value + t * nodes;
            if (k == BLOCK) {
                Py_ssize_t p0 = 0, p1 = 0, p2 = 0, p3 = 0;
                double *l0 = level, *l1 = level + per_row, *l2 = l1 + per_row, *l3 = l2 + per_row;
                for (int d = 0; d < depth; d++) {
                    const int64_t f0 = tf[p0], f1 = tf[p1], f2 = tf[p2], f3 = tf[p3];
                    const Py_ssize_t n0 = 2 * p0 + 1 + (xr[0][f0] > tt[p0]);
                    const Py_ssize_t n1 = 2 * p1 + 1 + (xr[1][f1] > tt[p1]);
                    const Py_ssize_t n2 = 2 * p2 + 1 + (xr[2][f2] > tt[p2]);
                    const Py_ssize_t n3 = 2 * p3 + 1 + (xr[3][f3] > tt[p3]);
                    l0[d * cols + group_of[f0]] += tv[n0] - tv[p0];
                    l1[d * cols + group_of[f1]] += tv[n1] - tv[p1];
                    l2[d * cols + group_of[f2]] += tv[n2] - tv[p2];
                    l3[d * cols + group_of[f3]] += tv[n3] - tv[p3];
                    p0 = n0, p1 = n1, p2 = n2, p3 = n3;
                }
                if (t == 0) {
                    sum[0] = tv[p0], sum[1] = tv[p1], sum[2] = tv[p2], sum[3] = tv[p3];
                } else {
                    sum[0] += tv[p0], sum[1] += tv[p1], sum[2] += tv[p2], sum[3] += tv[p3];
                }
                continue;
            }
            for (Py_ssize_t j = 0; j < k; j++) {
                Py_ssize_t p = 0;
                double *lj = level + j * per_row;
                for (int d = 0; d < depth; d++) {
                    const int64_t f = tf[p];
                    const Py_ssize_t next = 2 * p + 1 + (xr[j][f] > tt[p]);
                    lj[d * cols + group_of[f]] += tv[next] - tv[p];
                    p = next;
                }
                sum[j] = t == 0 ? tv[p] : sum[j] + tv[p];
            }
        }
        for (Py_ssize_t j = 0; j < k; j++) {
            raw[r0 + j] = sum[j];
            double *o = out + (r0 + j) * cols;
            const double *lv = level + j * per_row;
            for (Py_ssize_t f = 0; f < cols; f++) {
                o[f] = 0.0;
            }
            for (int d = 0; d < depth; d++) {
                for (Py_ssize_t f = 0; f < cols; f++) {
                    o[f] += lv[d * cols + f];
                }
            }
        }
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(level);
    release(&b);
    PyBuffer_Release(&group_buf);
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
    const Py_ssize_t n = s1b.len / (Py_ssize_t)sizeof(double), w2 = width + 15;
    if (width < 0 || width > PY_SSIZE_T_MAX / 2 ||
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

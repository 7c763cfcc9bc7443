/* Per-line measurements of a plain-text page for the line classifier (gharbal.extract.features),
 * in C: one pass over the page's text for character classes, scripts and line ends, one over its
 * matching form for the words.
 *
 * Optional, like _trees.c: when it is not built, features.py measures the same things with regex,
 * str methods and numpy (`_scan_python`), and a test checks that both give the same numbers on
 * real and random pages. Written by hand because no library tokenises by our word rule, counts per
 * line and hashes words in one pass: done in Python it cost about two thirds of a page's time.
 *
 * Character properties come from tables built in Python from the same Unicode sources the regex
 * path uses (charclasses.py): `cls` and `script` over the BMP (code points above it count as
 * symbols without script, as in charclasses), `wt` over all code points (word rule, \p{N}, \w,
 * str.isspace, sentence-final marks, closing quotes).
 *
 * Words are compared by a 64-bit FNV-1a hash of their code points (stopword lists, the chrome
 * lexicon and line forms are hashed with `hash_strings`, the same function); two different words
 * with the same hash are counted as one (about one chance in 10^15 for a page's vocabulary).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

/* Bits of `wt` (uint16, one entry per code point). */
enum {
    W_HANKANA = 1,  /* \p{Han}|\p{Hiragana}|\p{Katakana}: a word of its own */
    W_START = 2,    /* [^\W_]: starts a word */
    W_CONT = 4,     /* [^\W_]|[\u200c\u200d\p{M}]: continues a word */
    W_NUM = 8,      /* \p{N}: runs become "0" in line forms */
    W_PYSPACE = 16, /* str.isspace */
    W_TERM = 32,    /* sentence-final mark (gharbal.normalise.charclasses.TERMINAL) */
    W_CLOSER = 64,  /* closing quote or bracket (punctuation._CLOSERS) */
    W_WORDCH = 128, /* regex \w */
    W_BULLET = 256, /* a list marker (gharbal.normalise.charclasses.BULLETS) or str.isdigit */
};
/* word_flags of scan(). */
enum { WORD_SHORT = 1, WORD_DIGITS = 2 };
/* Bits of `cls` (uint16, BMP), as charclasses._tables. */
enum { C_SPACE = 1, C_LETTER = 2, C_UPPER = 16, C_COMMA = 64 };
#define NCLASS 10
#define NSCRIPT 16 /* script index NSCRIPT: no script */
/* Facts of a line: terminal, ends with a colon, ends with a comma, URL-like, spaced separators,
 * length (code points), starts with a list marker or digit. */
#define NFACTS 7

#define FNV_OFFSET 14695981039346656037ULL
#define FNV_PRIME 1099511628211ULL

static inline uint64_t fnv(uint64_t h, Py_UCS4 c) { return (h ^ (uint64_t)c) * FNV_PRIME; }

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t len;
} Text;

static inline Py_UCS4 at(const Text *t, Py_ssize_t i) { return PyUnicode_READ(t->kind, t->data, i); }

typedef struct {
    const uint16_t *cls;
    const uint8_t *script;
    const uint16_t *wt;
} Tables;

static inline uint16_t wbits(const Tables *tb, Py_UCS4 c) { return c < 0x110000 ? tb->wt[c] : 0; }
static inline uint16_t cbits(const Tables *tb, Py_UCS4 c) { return c <= 0xFFFF ? tb->cls[c] : 0; }

static int is_sep(Py_UCS4 c) {
    return c == '-' || c == '|' || c == '/' || c == 0x2022 || c == 0x00B7 || c == 0x2013 ||
           c == 0x2014;
}

/* regex \s as the Python path sees it: the class table's space bit (a lone surrogate, which the
 * table marks as space, is not \s). */
static inline int is_regex_space(const Tables *tb, Py_UCS4 c) {
    return (c < 0xD800 || c > 0xDFFF) && (cbits(tb, c) & C_SPACE);
}

/* SPREAD[b]: byte k is bit k of b (eight counters in one word). */
static uint64_t SPREAD[256];
/* The characters a URL-like match can start with (see url_at). */
static unsigned char URL_FIRST[128];
/* Every logarithm of the feature matrix is (float)log1p((double)x): the C library's double log1p
 * rounded once, as features.log1p32 computes it with math.log1p (the same function). Never
 * log1pf or numpy's kernels: their last bit differs between versions and CPUs. Small counts come
 * from a table made once with that function (same bits): the matrix takes ~14 a line. */
enum { LOG_TABLE = 4096 };
static float L1PD[LOG_TABLE];

static inline float l1pd(int64_t k) {
    return (k >= 0 && k < LOG_TABLE) ? L1PD[k] : (float)log1p((double)k);
}

static void init_tables(void) {
    for (unsigned b = 0; b < 256; b++) {
        uint64_t v = 0;
        for (int k = 0; k < 8; k++) {
            v |= (uint64_t)((b >> k) & 1) << (8 * k);
        }
        SPREAD[b] = v;
    }
    const char *first = "hHwW@.";
    for (const char *c = first; *c; c++) {
        URL_FIRST[(unsigned char)*c] = 1;
    }
    for (int k = 0; k < LOG_TABLE; k++) {
        L1PD[k] = (float)log1p((double)k);
    }
}

static inline Py_UCS4 lower_ascii(Py_UCS4 c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* (?i:https?://|www\.) at i, as regex matches it case-insensitively (the long s matches s). */
static int url_start(const Text *t, Py_ssize_t i, Py_ssize_t end) {
    static const char www[] = "www.";
    int ok = 1;
    if (i + 4 <= end) {
        for (int k = 0; k < 4 && ok; k++) {
            ok = lower_ascii(at(t, i + k)) == (Py_UCS4)www[k];
        }
        if (ok) {
            return 1;
        }
    }
    if (i + 7 > end) {
        return 0;
    }
    static const char http[] = "http";
    for (int k = 0; k < 4; k++) {
        if (lower_ascii(at(t, i + k)) != (Py_UCS4)http[k]) {
            return 0;
        }
    }
    Py_ssize_t j = i + 4;
    Py_UCS4 s = lower_ascii(at(t, j));
    if (s == 's' || s == 0x017F) {
        j++;
    }
    return j + 3 <= end && at(t, j) == ':' && at(t, j + 1) == '/' && at(t, j + 2) == '/';
}

/* Does _URLISH match at position i of a line ending at end? */
static int url_at(const Tables *tb, const Text *t, Py_ssize_t i, Py_ssize_t end) {
    const Py_UCS4 c = at(t, i);
    if ((c == 'h' || c == 'H' || c == 'w' || c == 'W') && url_start(t, i, end)) {
        return 1;
    }
    if (c == '@') { /* @[\w-]+\.\w */
        Py_ssize_t j = i + 1;
        while (j < end && ((wbits(tb, at(t, j)) & W_WORDCH) || at(t, j) == '-')) {
            j++;
        }
        return j > i + 1 && j + 1 < end && at(t, j) == '.' && (wbits(tb, at(t, j + 1)) & W_WORDCH);
    }
    if (c == '.' && i + 4 <= end) { /* \.(?:com|org|net)\b */
        const Py_UCS4 a = at(t, i + 1), b = at(t, i + 2), d = at(t, i + 3);
        const int tld = (a == 'c' && b == 'o' && d == 'm') || (a == 'o' && b == 'r' && d == 'g') ||
                        (a == 'n' && b == 'e' && d == 't');
        return tld && (i + 4 == end || !(wbits(tb, at(t, i + 4)) & W_WORDCH));
    }
    return 0;
}

/* A set of 64-bit word hashes (open addressing, linear probing; 0 marks an empty slot, so the
 * hash 0 is kept apart). Counting a line's distinct words and those it shares with its neighbour
 * through it takes a step a word; sorting took a branchy comparison per step of n log n. */
typedef struct {
    uint64_t *keys;
    uint64_t mask;
    Py_ssize_t capacity; /* slots allocated */
    int zero;            /* 0 is in the set */
} HashSet;

/* Empties s with room for count values (slots: a power of two at least twice count); 0 when out
 * of memory. */
static int hs_reset(HashSet *s, Py_ssize_t count) {
    Py_ssize_t slots = 16;
    while (slots < 2 * count) {
        slots <<= 1;
    }
    if (slots > s->capacity) {
        uint64_t *keys = PyMem_Realloc(s->keys, (size_t)slots * sizeof(uint64_t));
        if (keys == NULL) {
            return 0;
        }
        s->keys = keys;
        s->capacity = slots;
    }
    memset(s->keys, 0, (size_t)slots * sizeof(uint64_t));
    s->mask = (uint64_t)slots - 1;
    s->zero = 0;
    return 1;
}

/* Adds h; 1 if it was not in the set yet. */
static inline int hs_add(HashSet *s, uint64_t h) {
    if (h == 0) {
        const int added = !s->zero;
        s->zero = 1;
        return added;
    }
    uint64_t at = (h ^ (h >> 32)) & s->mask;
    while (s->keys[at] != 0) {
        if (s->keys[at] == h) {
            return 0;
        }
        at = (at + 1) & s->mask;
    }
    s->keys[at] = h;
    return 1;
}

/* The slot of h, which is in the set and not 0. */
static inline Py_ssize_t hs_slot(const HashSet *s, uint64_t h) {
    uint64_t at = (h ^ (h >> 32)) & s->mask;
    while (s->keys[at] != h) {
        at = (at + 1) & s->mask;
    }
    return (Py_ssize_t)at;
}

static inline int hs_has(const HashSet *s, uint64_t h) {
    if (h == 0) {
        return s->zero;
    }
    uint64_t at = (h ^ (h >> 32)) & s->mask;
    while (s->keys[at] != 0) {
        if (s->keys[at] == h) {
            return 1;
        }
        at = (at + 1) & s->mask;
    }
    return 0;
}

/* Releases the buffers of b[0:count] that were taken (a failed parse leaves the rest empty). */
static void release_n(Py_buffer *b, int count) {
    for (int k = 0; k < count; k++) {
        if (b[k].obj != NULL) {
            PyBuffer_Release(&b[k]);
        }
    }
}

/* Does b hold at least count x per items of item bytes? (Checked by division: no product of the
 * caller's numbers can overflow.) */
static int sized(const Py_buffer *b, Py_ssize_t count, Py_ssize_t per, Py_ssize_t item,
                 const char *what) {
    if (count < 0 || per < 0 || (per > 0 && count > b->len / item / per)) {
        PyErr_Format(PyExc_ValueError, "gharbal.extract._scan: %s is too small", what);
        return 0;
    }
    if ((uintptr_t)b->buf % (uintptr_t)item != 0) {
        PyErr_Format(PyExc_ValueError, "gharbal.extract._scan: %s is misaligned", what);
        return 0;
    }
    return 1;
}

static int share_memory(const Py_buffer *a, const Py_buffer *b) {
    const char *x = a->buf, *y = b->buf;
    return a->len > 0 && b->len > 0 && x < y + b->len && y < x + a->len;
}

/* Does an output share memory with another output or with an input? (Outputs are written while
 * the inputs and the other outputs are read: none may change under the reader.) */
static int overlapping(Py_buffer *const *outputs, int nout, Py_buffer *const *inputs, int nin) {
    for (int i = 0; i < nout; i++) {
        for (int j = 0; j < nout + nin; j++) {
            const Py_buffer *other = j < nout ? outputs[j] : inputs[j - nout];
            if (j != i && share_memory(outputs[i], other)) {
                PyErr_SetString(PyExc_ValueError,
                                "gharbal.extract._scan: an output buffer shares memory with "
                                "another buffer");
                return 1;
            }
        }
    }
    return 0;
}

/* scan(text, folded, n, han, japanese, cls, script, wt, classes, scripts, page_scripts, sizes,
 *      word_chars, word_hash, lex_hash, lex_sizes, form_hash, overlaps, facts, word_flags)
 *      -> (words, lex_tokens)
 * text: the page's n lines joined by "\n"; folded: its matching form (as many lines). Outputs
 * (int64 unless said): classes [n,10], scripts [n,16] and page_scripts [16] (Han and kana merged
 * as Japanese where both occur; han, japanese: their script indices), sizes [n] (words),
 * word_chars [n], word_hash uint64 [>= len(folded)] (every word of the page, in order), lex_hash
 * uint64 [>= len(folded) + len(text)] (the words of each line form, see features.line_form),
 * lex_sizes [n], form_hash uint64 [n], overlaps float64 [n,2] (share of the line's distinct words in
 * the line before / after), facts [n,7] (see NFACTS), word_flags uint8 [>= len(folded)] (of every
 * word: WORD_SHORT, one character; WORD_DIGITS, all str.isdigit characters). */
static PyObject *scan(PyObject *self, PyObject *args) {
    PyObject *text_obj, *folded_obj;
    Py_ssize_t n, han, japanese;
    Py_buffer b[15];
    memset(b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "UUnnny*y*y*w*w*w*w*w*w*w*w*w*w*w*w*", &text_obj, &folded_obj, &n,
                          &han, &japanese, &b[0], &b[1], &b[2], &b[3], &b[4], &b[13], &b[5],
                          &b[6], &b[7], &b[8], &b[9], &b[10], &b[11], &b[12], &b[14])) {
        return NULL;
    }
    PyObject *result = NULL;
    uint64_t *uniq = NULL;
    Py_ssize_t *line_start = NULL;
    HashSet sets[2] = {{NULL, 0, 0, 0}, {NULL, 0, 0, 0}};
    Text t = {PyUnicode_KIND(text_obj), PyUnicode_DATA(text_obj), PyUnicode_GET_LENGTH(text_obj)};
    Text f = {PyUnicode_KIND(folded_obj), PyUnicode_DATA(folded_obj),
              PyUnicode_GET_LENGTH(folded_obj)};
    Tables tb = {b[0].buf, b[1].buf, b[2].buf};
    Py_buffer *const outputs[] = {&b[3], &b[4], &b[5], &b[6], &b[7], &b[8],
                                  &b[9], &b[10], &b[11], &b[12], &b[13], &b[14]};
    Py_buffer *const inputs[] = {&b[0], &b[1], &b[2]};
    if (n < 0 || n > t.len + 1) {
        PyErr_SetString(PyExc_ValueError, "gharbal.extract._scan: text does not have n lines");
        goto done;
    }
    if (!sized(&b[0], 0x10000, 1, 2, "cls") || !sized(&b[1], 0x10000, 1, 1, "script") ||
        !sized(&b[2], 0x110000, 1, 2, "wt") || !sized(&b[3], n, NCLASS, 8, "classes") ||
        !sized(&b[4], n, NSCRIPT, 8, "scripts") || !sized(&b[5], n, 1, 8, "sizes") ||
        !sized(&b[6], n, 1, 8, "word_chars") || !sized(&b[7], f.len, 1, 8, "word_hash") ||
        !sized(&b[8], f.len + t.len, 1, 8, "lex_hash") || !sized(&b[9], n, 1, 8, "lex_sizes") ||
        !sized(&b[10], n, 1, 8, "form_hash") || !sized(&b[11], n, 2, 8, "overlaps") ||
        !sized(&b[12], n, NFACTS, 8, "facts") || !sized(&b[13], NSCRIPT, 1, 8, "page_scripts") ||
        !sized(&b[14], f.len, 1, 1, "word_flags") ||
        han < 0 || han >= NSCRIPT || japanese < 0 || japanese >= NSCRIPT ||
        overlapping(outputs, (int)(sizeof outputs / sizeof outputs[0]), inputs, 3)) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "gharbal.extract._scan: bad script index");
        }
        goto done;
    }
    int64_t *classes = b[3].buf, *scripts = b[4].buf, *sizes = b[5].buf, *word_chars = b[6].buf;
    uint64_t *word_hash = b[7].buf, *lex_hash = b[8].buf, *form_hash = b[10].buf;
    int64_t *lex_sizes = b[9].buf, *facts = b[12].buf;
    double *overlaps = b[11].buf;
    uint8_t *word_flags = b[14].buf;
    memset(classes, 0, (size_t)(n * NCLASS) * 8);
    memset(scripts, 0, (size_t)(n * NSCRIPT) * 8);
    memset(facts, 0, (size_t)(n * NFACTS) * 8);
    memset(overlaps, 0, (size_t)(2 * n) * 8);

    /* Lines of the text: n of them, n - 1 newlines. */
    line_start = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_ssize_t));
    if (line_start == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t lines = 0;
    if (n > 0) {
        line_start[lines++] = 0;
        for (Py_ssize_t i = 0; i < t.len; i++) {
            if (at(&t, i) == '\n') {
                if (lines == n) {
                    lines = n + 1; /* more lines than n */
                    break;
                }
                line_start[lines++] = i + 1;
            }
        }
    }
    if (lines != n || (n == 0 && t.len != 0)) {
        PyErr_SetString(PyExc_ValueError, "gharbal.extract._scan: text does not have n lines");
        goto done;
    }
    line_start[n] = t.len + 1;

    /* Pass 1, the text: character classes, scripts, line ends, URL-like lines, spaced separators
     * (counted in scalar local variables the compiler keeps in registers, stored at the end of
     * each line: counting in an array in memory made every character wait for ten stores).
     * Spaced separators are found left to right without overlap over the whole text as
     * regex.finditer does (a match starts at or after the end of the one before; a line's
     * neighbours are the newlines around it, or nothing at the ends of the text), each counted on
     * the line of its separator. */
    Py_ssize_t free_from = 0; /* where the next separator match may start */
    for (Py_ssize_t li = 0; li < n; li++) {
        Py_ssize_t s = line_start[li], e = line_start[li + 1] - 1;
        int64_t separators = 0, spaces = 0, bit8 = 0, upper_first = 0;
        int64_t bits[8] = {0}; /* characters of the line with bit k of `cls` set */
        /* Four copies of the script counts, taken in turn: consecutive characters of one script
         * would otherwise each wait for the count the one before stored. */
        int64_t per_script[4][NSCRIPT + 1] = {{0}};
        unsigned prev_letter = 0;
        int url = 0;
        for (Py_ssize_t i0 = s; i0 < e; i0 += 255) {
            /* Bits 0-7 of every character's class counted in the eight bytes of one word (255
             * characters at most before they are added up: no byte overflows). */
            uint64_t packed = 0;
            const Py_ssize_t i1 = e - i0 > 255 ? i0 + 255 : e;
            for (Py_ssize_t i = i0; i < i1; i++) {
                const Py_UCS4 c = at(&t, i);
                const unsigned cb = cbits(&tb, c);
                packed += SPREAD[cb & 0xFF];
                bit8 += (cb >> 8) & 1;
                upper_first += ((cb >> 4) & 1) & (prev_letter ^ 1);
                prev_letter = (cb >> 1) & 1;
                const unsigned sid = c <= 0xFFFF ? tb.script[c] : NSCRIPT;
                per_script[i & 3][sid < NSCRIPT ? sid : NSCRIPT]++;
                if (c < 0x80 && URL_FIRST[c] && !url) {
                    url = url_at(&tb, &t, i, e);
                }
                if (c < 0x80 ? (c == '-') | (c == '/') | (c == '|') : is_sep(c)) {
                    /* The characters before and after: in the line, or the newlines around it. */
                    const int before = i > s ? is_regex_space(&tb, at(&t, i - 1)) : li > 0;
                    const int after = i + 1 < e ? is_regex_space(&tb, at(&t, i + 1)) : li + 1 < n;
                    if (i - 1 >= free_from && before && after) {
                        separators++;
                        free_from = i + 2;
                    }
                }
            }
            for (int k = 0; k < 8; k++) {
                bits[k] += (int64_t)((packed >> (8 * k)) & 0xFF);
            }
        }
        spaces = bits[0];
        int64_t *cl = classes + li * NCLASS;
        cl[0] = (e - s) - spaces;
        for (int k = 1; k < 8; k++) {
            cl[k] = bits[k];
        }
        cl[8] = bit8;
        cl[9] = upper_first;
        for (int k = 0; k < NSCRIPT; k++) {
            scripts[li * NSCRIPT + k] =
                per_script[0][k] + per_script[1][k] + per_script[2][k] + per_script[3][k];
        }
        facts[li * NFACTS + 4] = separators;
        int64_t *fa = facts + li * NFACTS;
        if (e > s) {
            Py_UCS4 last = at(&t, e - 1);
            Py_ssize_t end = e;
            while (end > s && (wbits(&tb, at(&t, end - 1)) & W_PYSPACE)) {
                end--;
            }
            while (end > s && (wbits(&tb, at(&t, end - 1)) & W_CLOSER)) {
                end--;
            }
            fa[0] = end > s && (wbits(&tb, at(&t, end - 1)) & W_TERM);
            fa[1] = last == ':' || last == 0xFF1A;
            fa[2] = (cbits(&tb, last) & C_COMMA) != 0;
            fa[3] = url;
            fa[6] = (wbits(&tb, at(&t, s)) & W_BULLET) != 0;
        }
        fa[5] = e - s;
    }
    /* The page's script counts; then Han and kana counted as one script, Japanese, where both
     * occur (on the page, and on each line), as charclasses.merge_japanese does. */
    {
        int64_t *page = b[13].buf;
        memset(page, 0, NSCRIPT * sizeof(int64_t));
        for (Py_ssize_t li = 0; li < n; li++) {
            for (int k = 0; k < NSCRIPT; k++) {
                page[k] += scripts[li * NSCRIPT + k];
            }
        }
        for (Py_ssize_t li = -1; li < n; li++) {
            int64_t *c = li < 0 ? page : scripts + li * NSCRIPT;
            if (c[japanese] > 0 && c[han] > 0) {
                c[japanese] += c[han];
                c[han] = 0;
            }
        }
    }
    /* Pass 2, the matching form: words, their hashes, line forms. */
    Py_ssize_t nw = 0, nlex = 0, li_folded = 0;
    {
        Py_ssize_t li = 0, i = 0;
        for (Py_ssize_t k = 0; k < n; k++) {
            sizes[k] = word_chars[k] = lex_sizes[k] = 0;
            form_hash[k] = FNV_OFFSET;
        }
        if (n == 0 && f.len > 0) {
            PyErr_SetString(PyExc_ValueError, "gharbal.extract._scan: folded has more lines");
            goto done;
        }
        while (i < f.len) {
            Py_UCS4 c = at(&f, i);
            if (c == '\n') {
                if (++li >= n) {
                    PyErr_SetString(PyExc_ValueError, "gharbal.extract._scan: folded has more lines");
                    goto done;
                }
                i++;
                continue;
            }
            uint16_t wb = wbits(&tb, c);
            if (!(wb & (W_HANKANA | W_START))) {
                i++;
                continue;
            }
            /* A word: one Han or kana character, or a word start and its continuations, hashed
             * as it is read. A line form replaces runs of \p{N} by "0" when the line has digits. */
            const int single = (wb & W_HANKANA) != 0;
            const int digits = classes[li * NCLASS + 2] > 0;
            uint64_t h = FNV_OFFSET, hl = FNV_OFFSET, hf = form_hash[li];
            if (sizes[li] > 0) {
                hf = fnv(hf, ' ');
            }
            int in_num = 0, all_num = 1;
            Py_ssize_t e = i;
            for (;;) {
                h = fnv(h, c);
                all_num &= (wb & W_NUM) != 0;
                if (digits && (wb & W_NUM)) {
                    if (!in_num) {
                        hl = fnv(hl, '0');
                        hf = fnv(hf, '0');
                    }
                    in_num = 1;
                } else {
                    hl = fnv(hl, c);
                    hf = fnv(hf, c);
                    in_num = 0;
                }
                e++;
                if (single || e >= f.len) {
                    break;
                }
                c = at(&f, e);
                wb = wbits(&tb, c);
                if (!(wb & W_CONT)) {
                    break;
                }
            }
            /* str.isdigit characters are all \p{N}: only all-number words are looked at. */
            int all_digits = all_num;
            for (Py_ssize_t k = i; all_digits && k < e; k++) {
                all_digits = Py_UNICODE_ISDIGIT(at(&f, k));
            }
            word_flags[nw] = (uint8_t)((e - i == 1 ? WORD_SHORT : 0) | (all_digits ? WORD_DIGITS : 0));
            word_hash[nw++] = h;
            lex_hash[nlex++] = hl;
            sizes[li]++;
            lex_sizes[li]++;
            word_chars[li] += e - i;
            form_hash[li] = hf;
            i = e;
        }
        li_folded = li;
    }
    if (n > 0 && li_folded != n - 1) {
        PyErr_SetString(PyExc_ValueError, "gharbal.extract._scan: folded has fewer lines");
        goto done;
    }
    /* Lines without words are compared as written; their lexicon words are its space-separated
     * pieces (str.split). Those lines are put in their place in lex_hash, which so far holds the
     * words of the lines that have some, in line order. */
    {
        Py_ssize_t extra = 0;
        for (Py_ssize_t li = 0; li < n; li++) {
            if (sizes[li] == 0) {
                Py_ssize_t s = line_start[li], e = line_start[li + 1] - 1;
                uint64_t hf = FNV_OFFSET;
                for (Py_ssize_t i = s; i < e; i++) {
                    hf = fnv(hf, at(&t, i));
                }
                form_hash[li] = hf;
                for (Py_ssize_t i = s; i < e;) {
                    if (wbits(&tb, at(&t, i)) & W_PYSPACE) {
                        i++;
                        continue;
                    }
                    extra++;
                    while (i < e && !(wbits(&tb, at(&t, i)) & W_PYSPACE)) {
                        i++;
                    }
                }
            }
        }
        if (extra > 0) {
            /* Move the words right, from the last line back, filling in the pieces. */
            Py_ssize_t src = nlex, dst = nlex + extra;
            for (Py_ssize_t li = n - 1; li >= 0; li--) {
                if (sizes[li] > 0) {
                    for (Py_ssize_t k = 0; k < sizes[li]; k++) {
                        lex_hash[--dst] = lex_hash[--src];
                    }
                    continue;
                }
                Py_ssize_t s = line_start[li], e = line_start[li + 1] - 1;
                Py_ssize_t pieces = 0;
                for (Py_ssize_t i = s; i < e;) { /* count, then write in order */
                    if (wbits(&tb, at(&t, i)) & W_PYSPACE) {
                        i++;
                        continue;
                    }
                    pieces++;
                    while (i < e && !(wbits(&tb, at(&t, i)) & W_PYSPACE)) {
                        i++;
                    }
                }
                dst -= pieces;
                Py_ssize_t w = dst;
                for (Py_ssize_t i = s; i < e && w < dst + pieces;) {
                    if (wbits(&tb, at(&t, i)) & W_PYSPACE) {
                        i++;
                        continue;
                    }
                    uint64_t h = FNV_OFFSET;
                    while (i < e && !(wbits(&tb, at(&t, i)) & W_PYSPACE)) {
                        h = fnv(h, at(&t, i));
                        i++;
                    }
                    lex_hash[w++] = h;
                }
                lex_sizes[li] = pieces;
            }
            nlex += extra;
        }
    }

    /* Overlap of each line's distinct words with the lines before and after: the words a line
     * shares with the one before are counted once, as the share of each of the two lines. */
    uniq = PyMem_Malloc((size_t)(nw > 0 ? nw : 1) * sizeof(uint64_t));
    if (uniq == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    {
        Py_ssize_t pos = 0, prev_m = 0;
        for (Py_ssize_t li = 0; li < n; li++) {
            HashSet *cur = &sets[li & 1];
            const HashSet *prev = &sets[(li & 1) ^ 1];
            if (!hs_reset(cur, sizes[li])) {
                PyErr_NoMemory();
                goto done;
            }
            uint64_t *u = uniq + pos; /* the line's distinct words */
            Py_ssize_t m = 0;
            for (Py_ssize_t k = 0; k < sizes[li]; k++) {
                if (hs_add(cur, word_hash[pos + k])) {
                    u[m++] = word_hash[pos + k];
                }
            }
            if (li > 0 && m > 0 && prev_m > 0) {
                Py_ssize_t shared = 0;
                for (Py_ssize_t k = 0; k < m; k++) {
                    shared += hs_has(prev, u[k]);
                }
                overlaps[2 * li] = (double)shared / (double)m;
                overlaps[2 * (li - 1) + 1] = (double)shared / (double)prev_m;
            }
            prev_m = m;
            pos += sizes[li];
        }
    }
    result = Py_BuildValue("nn", nw, nlex);
done:
    PyMem_Free(line_start);
    PyMem_Free(uniq);
    PyMem_Free(sets[0].keys);
    PyMem_Free(sets[1].keys);
    release_n(b, 15);
    return result;
}

/* hash_strings(strings, out): out[k] = the FNV-1a hash scan gives the word strings[k]. */
static PyObject *hash_strings(PyObject *self, PyObject *args) {
    PyObject *seq;
    Py_buffer out;
    if (!PyArg_ParseTuple(args, "Ow*", &seq, &out)) {
        return NULL;
    }
    PyObject *fast = PySequence_Fast(seq, "hash_strings: a sequence of str");
    if (fast == NULL) {
        PyBuffer_Release(&out);
        return NULL;
    }
    Py_ssize_t count = PySequence_Fast_GET_SIZE(fast);
    PyObject *result = NULL;
    if (!sized(&out, count, 1, 8, "out")) {
        goto done;
    }
    uint64_t *o = out.buf;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *s = PySequence_Fast_GET_ITEM(fast, k);
        if (!PyUnicode_Check(s)) {
            PyErr_SetString(PyExc_TypeError, "hash_strings: a sequence of str");
            goto done;
        }
        Text t = {PyUnicode_KIND(s), PyUnicode_DATA(s), PyUnicode_GET_LENGTH(s)};
        uint64_t h = FNV_OFFSET;
        for (Py_ssize_t i = 0; i < t.len; i++) {
            h = fnv(h, at(&t, i));
        }
        o[k] = h;
    }
    result = Py_NewRef(Py_None);
done:
    Py_DECREF(fast);
    PyBuffer_Release(&out);
    return result;
}

/* Open-addressing tables of word hashes (features._HashTable): cap slots of (key, entry number or
 * -1 for an empty slot), cap a power of two, linear probing from (h ^ h >> 32) & (cap - 1). */
typedef struct {
    uint64_t key;
    int64_t entry; /* -1: an empty slot */
} Slot;

typedef struct {
    const Slot *slots;
    uint64_t mask;
} Table;

/* A table is one uint64 buffer of (key, entry) pairs, so that a probe reads one cache line
 * (the larger tables do not fit the fastest caches; keys and entries apart took two misses). */
static int table_of(const Py_buffer *table, Table *t) {
    const Py_ssize_t cap = table->len / (Py_ssize_t)sizeof(Slot);
    if (cap == 0 || (cap & (cap - 1)) != 0 || table->len != cap * (Py_ssize_t)sizeof(Slot) ||
        (uintptr_t)table->buf % 8 != 0) {
        PyErr_SetString(PyExc_ValueError, "gharbal.extract._scan: bad lookup table");
        return 0;
    }
    t->slots = table->buf;
    t->mask = (uint64_t)cap - 1;
    return 1;
}

/* The entry number of h, or -1. */
static inline int64_t find(const Table *t, uint64_t h) {
    uint64_t at = (h ^ (h >> 32)) & t->mask;
    for (uint64_t probes = 0; probes <= t->mask && t->slots[at].entry >= 0; probes++) {
        if (t->slots[at].key == h) {
            return t->slots[at].entry;
        }
        at = (at + 1) & t->mask;
    }
    return -1;
}

/* The last results of find() by the low bits of the hash. A page repeats its words (its stopwords
 * most), and the larger tables (the stopwords of every language of a script, the lexicon) do not
 * fit the processor's fastest caches: a repeated word is then found here. */
enum { MEMO = 1024 };
typedef struct {
    uint64_t key[MEMO]; /* 0: empty (the hash 0 is always looked up in the table) */
    int64_t value[MEMO];
} Memo;

static inline int64_t find_memo(const Table *t, Memo *m, uint64_t h) {
    const size_t k = (size_t)(h ^ (h >> 29)) & (MEMO - 1);
    if (h != 0 && m->key[k] == h) {
        return m->value[k];
    }
    const int64_t v = find(t, h);
    m->key[k] = h;
    m->value[k] = v;
    return v;
}


/* count_found(table, hashes, sizes, out): out[line] = how many of the line's words (the
 * next sizes[line] hashes) are in the table. */
/* lexicon(table, values, hashes, sizes, entries, stats): entries[k] = the lexicon entry of
 * word k of the page (-1 where absent), stats (float32 [n, 4]) = the mean,
 * max, min and first of the lexicon values of line li's sizes[li] words (0 for a line without
 * words), as features._lexicon_stats computes them (the mean added in word order from 0.0, as
 * numpy's bincount adds). values: float64 [entries + 1], its last the value of an absent word. */
static PyObject *lexicon(PyObject *self, PyObject *args) {
    Py_buffer b[6];
    memset(b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "y*y*y*y*w*w*", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5])) {
        return NULL;
    }
    PyObject *result = NULL;
    Table t;
    const Py_ssize_t nvalues = b[1].len / 8, count = b[2].len / 8, n = b[3].len / 8;
    Py_buffer *const outputs[] = {&b[4], &b[5]};
    Py_buffer *const inputs[] = {&b[0], &b[1], &b[2], &b[3]};
    if (!table_of(&b[0], &t) || !sized(&b[1], nvalues, 1, 8, "values") ||
        !sized(&b[2], count, 1, 8, "hashes") || !sized(&b[3], n, 1, 8, "sizes") ||
        !sized(&b[4], count, 1, 8, "entries") ||
        !sized(&b[5], n, 4, 4, "stats") || overlapping(outputs, 2, inputs, 4)) {
        goto done;
    }
    if (nvalues < 1) {
        PyErr_SetString(PyExc_ValueError, "gharbal.extract._scan: lexicon: no values");
        goto done;
    }
    const double *values = b[1].buf;
    const uint64_t *h = b[2].buf;
    const int64_t *sizes = b[3].buf;
    int64_t *entries = b[4].buf;
    float *stats = b[5].buf;
    Memo memo;
    memset(memo.key, 0, sizeof memo.key);
    Py_ssize_t at = 0;
    for (Py_ssize_t li = 0; li < n; li++) {
        const int64_t size = sizes[li]; /* read once: checked, then used */
        if (size < 0 || size > count - at) {
            PyErr_SetString(PyExc_ValueError, "gharbal.extract._scan: lexicon: bad sizes");
            goto done;
        }
        float *o = stats + li * 4;
        o[0] = o[1] = o[2] = o[3] = 0.0f;
        double sum = 0.0, most = 0.0, least = 0.0;
        for (int64_t k = 0; k < size; k++, at++) {
            const int64_t e = find_memo(&t, &memo, h[at]);
            entries[at] = e >= 0 && e < nvalues - 1 ? e : -1;
            const double v = values[entries[at] >= 0 ? entries[at] : nvalues - 1];
            sum += v;
            if (k == 0) {
                most = least = v;
                o[3] = (float)v;
            } else { /* as numpy's maximum and minimum: the first of equal values stays */
                most = (most >= v || isnan(most)) ? most : v;
                least = (least <= v || isnan(least)) ? least : v;
            }
        }
        if (size > 0) {
            o[0] = (float)(sum / (double)size);
            o[1] = (float)most;
            o[2] = (float)least;
        }
    }
    result = Py_NewRef(Py_None);
done:
    release_n(b, 6);
    return result;
}

static PyObject *count_found(PyObject *self, PyObject *args) {
    Py_buffer b[4];
    memset(b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "y*y*y*w*", &b[0], &b[1], &b[2], &b[3])) {
        return NULL;
    }
    PyObject *result = NULL;
    Table t;
    const Py_ssize_t count = b[1].len / 8, n = b[2].len / 8;
    Py_buffer *const outputs[] = {&b[3]};
    Py_buffer *const inputs[] = {&b[0], &b[1], &b[2]};
    if (!table_of(&b[0], &t) || !sized(&b[1], count, 1, 8, "hashes") ||
        !sized(&b[2], n, 1, 8, "sizes") || !sized(&b[3], n, 1, 8, "out") ||
        overlapping(outputs, 1, inputs, 3)) {
        goto done;
    }
    const uint64_t *h = b[1].buf;
    const int64_t *sizes = b[2].buf;
    int64_t *o = b[3].buf;
    Py_ssize_t at = 0;
    Memo memo;
    memset(memo.key, 0, sizeof memo.key);
    for (Py_ssize_t li = 0; li < n; li++) {
        const int64_t size = sizes[li];
        if (size < 0 || size > count - at) {
            PyErr_SetString(PyExc_ValueError, "gharbal.extract._scan: count_found: bad sizes");
            goto done;
        }
        int64_t found = 0;
        for (int64_t k = 0; k < size; k++, at++) {
            found += find_memo(&t, &memo, h[at]) >= 0;
        }
        o[li] = found;
    }
    result = Py_NewRef(Py_None);
done:
    release_n(b, 4);
    return result;
}

/* cover(table, masks, hashes, out): out[k] = how many of the hashes are in the table with
 * bit k set in their entry's mask (masks uint64 [entries], out int64 [64]). */
static PyObject *cover(PyObject *self, PyObject *args) {
    Py_buffer b[4];
    memset(b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "y*y*y*w*", &b[0], &b[1], &b[2], &b[3])) {
        return NULL;
    }
    PyObject *result = NULL;
    Py_ssize_t *hits = NULL, *touched = NULL;
    Table t;
    const Py_ssize_t entries = b[1].len / 8, count = b[2].len / 8;
    Py_buffer *const outputs[] = {&b[3]};
    Py_buffer *const inputs[] = {&b[0], &b[1], &b[2]};
    if (!table_of(&b[0], &t) || !sized(&b[1], entries, 1, 8, "masks") ||
        !sized(&b[2], count, 1, 8, "hashes") || !sized(&b[3], 64, 1, 8, "out") ||
        overlapping(outputs, 1, inputs, 3)) {
        goto done;
    }
    const uint64_t *masks = b[1].buf, *h = b[2].buf;
    int64_t *o = b[3].buf;
    memset(o, 0, 64 * sizeof(int64_t));
    /* How often each entry occurs, then each entry's count credited to its languages (a page
     * repeats its stopwords: once per distinct word, not once per occurrence). */
    hits = PyMem_Calloc((size_t)(entries > 0 ? entries : 1), sizeof(Py_ssize_t));
    touched = PyMem_Malloc((size_t)(entries > 0 ? entries : 1) * sizeof(Py_ssize_t));
    if (hits == NULL || touched == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t distinct = 0;
    Memo memo;
    memset(memo.key, 0, sizeof memo.key);
    for (Py_ssize_t i = 0; i < count; i++) {
        const int64_t e = find_memo(&t, &memo, h[i]);
        if (e >= 0 && e < entries && hits[e]++ == 0) {
            touched[distinct++] = (Py_ssize_t)e;
        }
    }
    for (Py_ssize_t k = 0; k < distinct; k++) {
        for (uint64_t m = masks[touched[k]]; m != 0; m &= m - 1) {
            o[__builtin_ctzll(m)] += hits[touched[k]];
        }
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(hits);
    PyMem_Free(touched);
    release_n(b, 4);
    return result;
}

/* The feature matrix (features.FEATURE_NAMES) from a page's counts, as features.measure_page
 * computes it with numpy: the same operations in the same precision (float32 where numpy works on
 * float32 arrays, double where it works on int64 or float64 ones and rounds to float32 on storing),
 * so both give the same bits (a test checks). */
enum {
    F_LOG_CHARS, F_LOG_WORDS, F_LETTER, F_DIGIT, F_SYMBOL, F_UPPER, F_TITLE, F_TERMINAL, F_COLON,
    F_COMMA, F_SENT_MARKS, F_COMMAS, F_SW_RATIO, F_LOG_SW, F_SCRIPT_MISMATCH, F_NO_SCRIPT,
    F_LANG_MISMATCH, F_REL_POS, F_FROM_START, F_FROM_END, F_PAGE_REPEATS, F_SITE_FRAC,
    F_SITE_COUNT, F_SITE_PAGES, F_LEX_MEAN, F_LEX_MAX, F_LEX_MIN, F_LEX_FIRST, F_URLISH,
    F_SEPARATORS, F_BULLET, F_COPYRIGHT, F_CHARS_VS_MAX, F_MEAN_WORD_LEN, F_PAGE_LINES,
    F_PAGE_HAS_SW, F_PAGE_LONG_SHARE, F_OVERLAP_PREV, F_OVERLAP_NEXT, F_PAGE_SCRIPT_SHARE,
    F_SPACED_SEPARATORS, N_LINE
};
static const int CONTEXT[] = {F_LOG_CHARS, F_TERMINAL, F_SW_RATIO, F_SITE_FRAC, F_LEX_MEAN, F_LETTER};
static const int OFFSETS[] = {-3, -2, -1, 1, 2, 3};
#define N_CONTEXT 6
#define N_OFFSETS 6
#define N_WINDOW 7
#define WIDTH (N_LINE + N_CONTEXT * N_OFFSETS + N_WINDOW)

/* assemble(n, classes, line_scripts, sid, sizes, word_chars, stopwords, repeats, overlaps, facts,
 *          lexicon, lang_mismatch, containing, site_pages, page_script, has_stopwords, out) */
static PyObject *assemble(PyObject *self, PyObject *args) {
    Py_ssize_t n, site_pages, page_script, has_stopwords;
    Py_buffer b[13];
    memset(b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "ny*y*y*y*y*y*y*y*y*y*y*y*nnnw*", &n, &b[0], &b[1], &b[2], &b[3],
                          &b[4], &b[5], &b[6], &b[7], &b[8], &b[9], &b[10], &b[11], &site_pages,
                          &page_script, &has_stopwords, &b[12])) {
        return NULL;
    }
    PyObject *result = NULL;
    unsigned char *good = NULL;
    Py_ssize_t *next = NULL;
    const int with_lexicon = b[9].len > 0;
    Py_buffer *const outputs[] = {&b[12]};
    Py_buffer *const inputs[] = {&b[0], &b[1], &b[2], &b[3], &b[4],  &b[5],
                                 &b[6], &b[7], &b[8], &b[9], &b[10], &b[11]};
    if (n < 0 || page_script >= NSCRIPT || !sized(&b[0], n, NCLASS, 8, "classes") ||
        !sized(&b[1], n, NSCRIPT, 8, "line_scripts") || !sized(&b[2], n, 1, 8, "sid") ||
        !sized(&b[3], n, 1, 8, "sizes") || !sized(&b[4], n, 1, 8, "word_chars") ||
        !sized(&b[5], n, 1, 8, "stopwords") || !sized(&b[6], n, 1, 8, "repeats") ||
        !sized(&b[7], n, 2, 8, "overlaps") || !sized(&b[8], n, NFACTS, 8, "facts") ||
        (with_lexicon && !sized(&b[9], n, 4, 4, "lexicon")) ||
        !sized(&b[10], n, 1, 8, "lang_mismatch") || !sized(&b[11], n, 1, 8, "containing") ||
        !sized(&b[12], n, WIDTH, 4, "out") || overlapping(outputs, 1, inputs, 12)) {
        goto done;
    }
    const int64_t *classes = b[0].buf, *scripts = b[1].buf, *sid = b[2].buf, *sizes = b[3].buf;
    const int64_t *word_chars = b[4].buf, *nsw = b[5].buf, *repeats = b[6].buf;
    const double *overlaps = b[7].buf, *containing = b[11].buf;
    const int64_t *facts = b[8].buf, *lang_mismatch = b[10].buf;
    const float *lex = b[9].buf;
    float *out = b[12].buf;
    good = PyMem_Malloc((size_t)n + 1);
    next = PyMem_Malloc(((size_t)n + 1) * sizeof(Py_ssize_t));
    if (good == NULL || next == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t max_len = 0, long_lines = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        const int64_t len = facts[i * NFACTS + 5];
        max_len = len > max_len ? len : max_len;
        long_lines += len >= 100;
    }
    const float max_chars = max_len > 0 ? (float)max_len : 1.0f;
    const float long_share = n > 0 ? (float)((double)long_lines / (double)n) : 0.0f;
    const float log_site_pages = (float)log1p((double)site_pages);
    const float log_lines = (float)log1p((double)n);
    for (Py_ssize_t i = 0; i < n; i++) {
        const int64_t *cl = classes + i * NCLASS, *fa = facts + i * NFACTS;
        float *row = out + i * WIDTH;
        const float nonspace = (float)(cl[0] > 1 ? cl[0] : 1);
        const float letters = (float)cl[1], digits = (float)cl[2], cased = (float)cl[3];
        const float len = (float)fa[5];
        row[F_LOG_CHARS] = l1pd(fa[5]);
        row[F_LOG_WORDS] = l1pd(sizes[i]);
        row[F_LETTER] = letters / nonspace;
        row[F_DIGIT] = digits / nonspace;
        const float symbols = nonspace - letters - digits;
        row[F_SYMBOL] = (symbols > 0.0f ? symbols : 0.0f) / nonspace;
        row[F_UPPER] =
            cased > 0.0f ? (float)((double)cl[4] / (double)(cased > 1.0f ? cased : 1.0f)) : 0.0f;
        const double words_n = (double)(sizes[i] > 1 ? sizes[i] : 1);
        const double title = (double)cl[9] / words_n;
        row[F_TITLE] = (float)(title < 1.0 ? title : 1.0);
        row[F_TERMINAL] = (float)fa[0];
        row[F_COLON] = (float)fa[1];
        row[F_COMMA] = (float)fa[2];
        row[F_SENT_MARKS] = l1pd(cl[5]);
        row[F_COMMAS] = l1pd(cl[6]);
        row[F_SW_RATIO] = sizes[i] > 0 ? (float)((double)nsw[i] / (double)sizes[i]) : 0.0f;
        row[F_LOG_SW] = l1pd(nsw[i]);
        row[F_SCRIPT_MISMATCH] = (float)(sid[i] >= 0 && sid[i] != page_script);
        row[F_NO_SCRIPT] = (float)(sid[i] < 0);
        row[F_LANG_MISMATCH] = (float)(lang_mismatch[i] != 0);
        row[F_REL_POS] = n > 1 ? (float)i / (float)(n - 1) : 0.0f;
        row[F_FROM_START] = l1pd(i);
        row[F_FROM_END] = l1pd(n - 1 - i);
        row[F_PAGE_REPEATS] = l1pd(repeats[i] - 1);
        row[F_SITE_FRAC] = site_pages > 0 ? (float)(containing[i] / (double)site_pages) : 0.0f;
        row[F_SITE_COUNT] = (float)log1p(containing[i]);
        row[F_SITE_PAGES] = log_site_pages;
        for (int k = 0; k < 4; k++) {
            row[F_LEX_MEAN + k] = with_lexicon ? lex[i * 4 + k] : 0.0f;
        }
        row[F_URLISH] = (float)fa[3];
        row[F_SEPARATORS] = l1pd(cl[7]);
        row[F_BULLET] = (float)fa[6];
        row[F_COPYRIGHT] = (float)(cl[8] > 0);
        row[F_CHARS_VS_MAX] = len / max_chars;
        row[F_MEAN_WORD_LEN] =
            sizes[i] > 0 ? (float)((double)word_chars[i] / (double)sizes[i]) : 0.0f;
        row[F_PAGE_LINES] = log_lines;
        row[F_PAGE_HAS_SW] = has_stopwords ? 1.0f : 0.0f;
        row[F_PAGE_LONG_SHARE] = long_share;
        row[F_OVERLAP_PREV] = (float)overlaps[2 * i];
        row[F_OVERLAP_NEXT] = (float)overlaps[2 * i + 1];
        int64_t total = 0;
        for (int k = 0; k < NSCRIPT; k++) {
            total += scripts[i * NSCRIPT + k];
        }
        const int64_t in_page = page_script >= 0 ? scripts[i * NSCRIPT + page_script] : 0;
        row[F_PAGE_SCRIPT_SHARE] = total > 0 ? (float)((double)in_page / (double)total) : 1.0f;
        row[F_SPACED_SEPARATORS] = l1pd(fa[4]);
    }
    /* The neighbours' features (-1 past the page's edges). */
    for (Py_ssize_t i = 0; i < n; i++) {
        float *row = out + i * WIDTH + N_LINE;
        for (int o = 0; o < N_OFFSETS; o++) {
            const Py_ssize_t j = i + OFFSETS[o];
            for (int c = 0; c < N_CONTEXT; c++) {
                row[o * N_CONTEXT + c] = (j >= 0 && j < n) ? out[j * WIDTH + CONTEXT[c]] : -1.0f;
            }
        }
    }
    /* Window statistics of the "good" lines (long with stopwords, or of some length ending a
     * sentence), as features._windows. */
    const float long80 = (float)log1p(80.0), long60 = (float)log1p(60.0), tenth = (float)0.1;
    Py_ssize_t total_good = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        const float *row = out + i * WIDTH;
        good[i] = (row[F_LOG_CHARS] >= long80 && row[F_SW_RATIO] >= tenth) ||
                  (row[F_LOG_CHARS] >= long60 && row[F_TERMINAL] > 0.0f);
        total_good += good[i];
    }
    const float none = (float)log1p((double)(n + 1));
    for (Py_ssize_t i = n - 1, following = -1; i >= 0; i--) { /* the first good line after i */
        next[i] = following;
        if (good[i]) {
            following = i;
        }
    }
    Py_ssize_t before_count = 0, last_good = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        float *w = out + i * WIDTH + N_LINE + N_CONTEXT * N_OFFSETS;
        const int radii[2] = {3, 10};
        for (int r = 0; r < 2; r++) {
            const Py_ssize_t lo = i - radii[r] > 0 ? i - radii[r] : 0;
            const Py_ssize_t hi = i + radii[r] + 1 < n ? i + radii[r] + 1 : n;
            Py_ssize_t count = 0;
            for (Py_ssize_t j = lo; j < hi; j++) {
                count += good[j];
            }
            w[r] = (float)((double)count / (double)(hi - lo));
        }
        float peak = 0.0f;
        for (Py_ssize_t j = i - 5; j <= i + 5; j++) {
            if (j >= 0 && j < n && out[j * WIDTH + F_LOG_CHARS] > peak) {
                peak = out[j * WIDTH + F_LOG_CHARS];
            }
        }
        w[2] = peak;
        if (total_good == 0) {
            w[3] = w[4] = none;
            w[5] = w[6] = 0.0f;
            continue;
        }
        /* before_count: good lines before i; last_good: the last of them. */
        const Py_ssize_t next_good = next[i];
        const Py_ssize_t after_count = total_good - before_count - good[i];
        w[3] = l1pd(last_good >= 0 ? i - last_good : n + 1);
        w[4] = l1pd(next_good >= 0 ? next_good - i : n + 1);
        w[5] = (float)((double)before_count / (double)total_good);
        w[6] = (float)((double)after_count / (double)total_good);
        if (good[i]) {
            before_count++;
            last_good = i;
        }
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(good);
    PyMem_Free(next);
    release_n(b, 13);
    return result;
}

/* title_counts(word_hash, word_flags, starts, sizes, table, candidates, body, out): for
 * each candidate line c (gharbal.extract.title), out[2c] = its distinct content words (not in the
 * stopword table, not all digits, more than one character: word_flags of scan) and
 * out[2c + 1] = how many of them occur in a line of `body` other than the candidate itself.
 * The candidates' content words go in one set; one pass over the body counts, for each of them,
 * the entries of `body` holding it (each entry once); a word of candidate c is found elsewhere
 * when that count exceeds 1 if c is itself in the body, 0 if not (as the Python fallback). */
static PyObject *title_counts(PyObject *self, PyObject *args) {
    Py_buffer b[8];
    memset(b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*y*w*", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                          &b[6], &b[7])) {
        release_n(b, 8);
        return NULL;
    }
    PyObject *result = NULL;
    HashSet asked = {NULL, 0, 0, 0}, own = {NULL, 0, 0, 0};
    Py_ssize_t *lines_with = NULL, *last = NULL;
    Table t;
    const Py_ssize_t nw = b[0].len / 8, n = b[2].len / 8, nc = b[5].len / 8, nb = b[6].len / 8;
    Py_buffer *const outputs[] = {&b[7]};
    Py_buffer *const inputs[] = {&b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &b[6]};
    if (!table_of(&b[4], &t) || !sized(&b[0], nw, 1, 8, "hashes") ||
        !sized(&b[1], nw, 1, 1, "word_flags") || !sized(&b[2], n, 1, 8, "starts") ||
        !sized(&b[3], n, 1, 8, "sizes") || !sized(&b[5], nc, 1, 8, "candidates") ||
        !sized(&b[6], nb, 1, 8, "body") || !sized(&b[7], nc, 2, 8, "out") ||
        overlapping(outputs, 1, inputs, 7)) {
        goto done;
    }
    const uint64_t *hash = b[0].buf;
    const uint8_t *flags = b[1].buf;
    const int64_t *starts = b[2].buf, *sizes = b[3].buf, *cand = b[5].buf, *body = b[6].buf;
    int64_t *out = b[7].buf;
    if (b[3].len != b[2].len) {
        PyErr_SetString(PyExc_ValueError, "gharbal.extract._scan: title_counts: sizes differ");
        goto done;
    }
    Py_ssize_t candidate_words = 0;
    for (Py_ssize_t k = 0; k < nc + nb; k++) {
        const int64_t i = k < nc ? cand[k] : body[k - nc];
        if (i < 0 || i >= n || starts[i] < 0 || sizes[i] < 0 || starts[i] > nw ||
            sizes[i] > nw - starts[i]) {
            PyErr_SetString(PyExc_ValueError, "gharbal.extract._scan: title_counts: bad line");
            goto done;
        }
        if (k < nc) {
            candidate_words += sizes[i] < nw - candidate_words ? sizes[i] : nw - candidate_words;
        }
    }
    /* The content words of all candidates: a set (a word's 0 hash is moved to 1 so that the
     * set's slots can be used; a collision there only merges counts as any 64-bit one does). */
    if (!hs_reset(&asked, candidate_words)) {
        PyErr_NoMemory();
        goto done;
    }
#define CONTENT(k) (!(flags[k] & (WORD_SHORT | WORD_DIGITS)) && find(&t, hash[k]) < 0)
#define KEY(k) (hash[k] != 0 ? hash[k] : 1)
    for (Py_ssize_t c = 0; c < nc; c++) {
        for (int64_t k = starts[cand[c]]; k < starts[cand[c]] + sizes[cand[c]]; k++) {
            if (CONTENT(k)) {
                hs_add(&asked, KEY(k));
            }
        }
    }
    lines_with = PyMem_Calloc((size_t)asked.capacity, sizeof(Py_ssize_t));
    last = PyMem_Malloc((size_t)asked.capacity * sizeof(Py_ssize_t));
    if (lines_with == NULL || last == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t s = 0; s < asked.capacity; s++) {
        last[s] = -1;
    }
    for (Py_ssize_t e = 0; e < nb; e++) {
        for (int64_t k = starts[body[e]]; k < starts[body[e]] + sizes[body[e]]; k++) {
            if (hs_has(&asked, KEY(k))) {
                const Py_ssize_t slot = hs_slot(&asked, KEY(k));
                if (last[slot] != e) {
                    last[slot] = e;
                    lines_with[slot]++;
                }
            }
        }
    }
    for (Py_ssize_t c = 0; c < nc; c++) {
        const int64_t line = cand[c];
        int itself = 0;
        for (Py_ssize_t e = 0; e < nb && !itself; e++) {
            itself = body[e] == line;
        }
        if (!hs_reset(&own, sizes[line])) {
            PyErr_NoMemory();
            goto done;
        }
        int64_t distinct = 0, found = 0;
        for (int64_t k = starts[line]; k < starts[line] + sizes[line]; k++) {
            if (CONTENT(k) && hs_add(&own, KEY(k))) {
                distinct++;
                found += lines_with[hs_slot(&asked, KEY(k))] > itself;
            }
        }
        out[2 * c] = distinct;
        out[2 * c + 1] = found;
    }
#undef CONTENT
#undef KEY
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(asked.keys);
    PyMem_Free(own.keys);
    PyMem_Free(lines_with);
    PyMem_Free(last);
    release_n(b, 8);
    return result;
}

/* short_details(chars, words, ends) -> list of str: the detail of each line removed as short,
 * "{chars} chars, {words} words" and ", no final punctuation" where ends[k] is 0 (int64 chars and
 * words, uint8 ends), as lines._details formats it in Python (the most common removal reason: about
 * a hundred lines a page). */
static PyObject *short_details(PyObject *self, PyObject *args) {
    Py_buffer b[3];
    memset(b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "y*y*y*", &b[0], &b[1], &b[2])) {
        release_n(b, 3);
        return NULL;
    }
    PyObject *result = NULL, *list = NULL;
    const Py_ssize_t n = b[0].len / 8;
    if (!sized(&b[0], n, 1, 8, "chars") || !sized(&b[1], n, 1, 8, "words") ||
        !sized(&b[2], n, 1, 1, "ends") || b[1].len != b[0].len || b[2].len != n) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "gharbal.extract._scan: short_details: sizes differ");
        }
        goto done;
    }
    const int64_t *chars = b[0].buf, *words = b[1].buf;
    const uint8_t *ends = b[2].buf;
    list = PyList_New(n);
    if (list == NULL) {
        goto done;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        char text[96];
        const int len = snprintf(text, sizeof text, "%lld chars, %lld words%s", (long long)chars[k],
                                 (long long)words[k], ends[k] ? "" : ", no final punctuation");
        PyObject *s = PyUnicode_FromStringAndSize(text, len);
        if (s == NULL) {
            goto done;
        }
        PyList_SET_ITEM(list, k, s);
    }
    result = list;
    list = NULL;
done:
    Py_XDECREF(list);
    release_n(b, 3);
    return result;
}

/* repeats(form_hash, out): out[i] = how many lines have line i's form hash (itself included). */
static PyObject *repeats(PyObject *self, PyObject *args) {
    Py_buffer b[2];
    memset(b, 0, sizeof b);
    if (!PyArg_ParseTuple(args, "y*w*", &b[0], &b[1])) {
        return NULL;
    }
    PyObject *result = NULL;
    const Py_ssize_t n = b[0].len / 8;
    HashSet set = {NULL, 0, 0, 0};
    Py_ssize_t *count = NULL; /* per slot of the set; zero_count for the hash 0 */
    Py_buffer *const outputs[] = {&b[1]};
    Py_buffer *const inputs[] = {&b[0]};
    if (!sized(&b[1], n, 1, 8, "out") || overlapping(outputs, 1, inputs, 1)) {
        goto done;
    }
    if (!hs_reset(&set, n) ||
        (count = PyMem_Calloc((size_t)set.capacity, sizeof(Py_ssize_t))) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const uint64_t *h = b[0].buf;
    int64_t *o = b[1].buf;
    Py_ssize_t zero_count = 0;
    for (int pass = 0; pass < 2; pass++) { /* count, then read the counts */
        for (Py_ssize_t i = 0; i < n; i++) {
            if (h[i] == 0) {
                zero_count += pass == 0;
                o[i] = zero_count;
                continue;
            }
            hs_add(&set, h[i]);
            const Py_ssize_t at = hs_slot(&set, h[i]);
            count[at] += pass == 0;
            o[i] = count[at];
        }
    }
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(set.keys);
    PyMem_Free(count);
    release_n(b, 2);
    return result;
}

/* line_scripts(classes, line_scripts, sizes, stopwords, page_script, han, japanese, min_letters,
 * max_stopwords, sid, flags): for each line, sid[i] = its script (the first of the most frequent,
 * as numpy's argmax; -1 below 3 letters of any script) and flags[i] (uint8): bit 0, worth asking
 * CLD2 about (min_letters letters or more, stopwords of the page language at most max_stopwords
 * of its words, in the page's script); bit 1, written in another script than the page (Han and
 * Japanese count as one). What features.measure_page computes with numpy without the extension. */
static PyObject *line_scripts(PyObject *self, PyObject *args) {
    Py_buffer b[6];
    memset(b, 0, sizeof b);
    Py_ssize_t page, han, japanese, min_letters;
    double max_stopwords;
    if (!PyArg_ParseTuple(args, "y*y*y*y*nnnndw*w*", &b[0], &b[1], &b[2], &b[3], &page, &han,
                          &japanese, &min_letters, &max_stopwords, &b[4], &b[5])) {
        release_n(b, 6);
        return NULL;
    }
    PyObject *result = NULL;
    const Py_ssize_t n = b[2].len / 8;
    Py_buffer *const outputs[] = {&b[4], &b[5]};
    Py_buffer *const inputs[] = {&b[0], &b[1], &b[2], &b[3]};
    if (!sized(&b[0], n, NCLASS, 8, "classes") || !sized(&b[1], n, NSCRIPT, 8, "line_scripts") ||
        !sized(&b[2], n, 1, 8, "sizes") || !sized(&b[3], n, 1, 8, "stopwords") || !sized(&b[4], n, 1, 8, "sid") ||
        !sized(&b[5], n, 1, 1, "flags") || overlapping(outputs, 2, inputs, 4)) {
        goto done;
    }
    const int64_t *classes = b[0].buf, *scripts = b[1].buf, *sizes = b[2].buf, *nsw = b[3].buf;
    int64_t *sid = b[4].buf;
    uint8_t *flags = b[5].buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        const int64_t *row = scripts + i * NSCRIPT;
        int64_t total = 0, best = row[0];
        Py_ssize_t arg = 0;
        for (Py_ssize_t k = 0; k < NSCRIPT; k++) {
            total += row[k];
            if (row[k] > best) {
                best = row[k];
                arg = k;
            }
        }
        const int64_t s = total >= 3 ? (int64_t)arg : -1;
        sid[i] = s;
        const double ratio = sizes[i] > 0 ? (double)nsw[i] / (double)sizes[i] : 0.0;
        const int ask = classes[i * NCLASS + 1] >= min_letters && ratio <= max_stopwords &&
                        s == (int64_t)page;
        const int cjk = (s == han && page == japanese) || (s == japanese && page == han);
        const int foreign = s >= 0 && s != (int64_t)page && !cjk;
        flags[i] = (uint8_t)(ask | foreign << 1);
    }
    result = Py_NewRef(Py_None);
done:
    release_n(b, 6);
    return result;
}

static PyMethodDef methods[] = {
    {"lexicon", lexicon, METH_VARARGS, "Lexicon entries of a page's words and each line's stats."},
    {"scan", scan, METH_VARARGS, "Per-line measurements of a page (see features._scan_native)."},
    {"hash_strings", hash_strings, METH_VARARGS, "FNV-1a hashes of words, as scan gives them."},
    {"assemble", assemble, METH_VARARGS, "The feature matrix of a page from its counts."},
    {"count_found", count_found, METH_VARARGS, "Words of each line found in a table."},
    {"cover", cover, METH_VARARGS, "Words found in a table, per bit of their masks."},
    {"repeats", repeats, METH_VARARGS, "How many lines share each line's form."},
    {"short_details", short_details, METH_VARARGS, "Details of lines removed as short."},
    {"title_counts", title_counts, METH_VARARGS, "Content words of headline candidates."},
    {"line_scripts", line_scripts, METH_VARARGS, "Each line's script, CLD2 and foreign flags."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_scan", NULL, -1, methods};

PyMODINIT_FUNC PyInit__scan(void) {
    init_tables();
    return PyModule_Create(&module);
}

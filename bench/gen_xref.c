/*
 * gen_xref - a known-answer set for `weir xref suggest`: the ERP's
 * customers, a field app's customers (HB_ ids), most of them noisy copies
 * of ERP customers and some with no counterpart, and the answer key.
 *
 * Benchmark tool only, built by `make -C bench gen_xref`.
 *
 *   gen_xref [-n ERP_ROWS] [-a APP_ROWS] [--orphans PCT] [-s SEED] -o DIR
 *
 * DIR/erp.csv      code,name,phone,email,postcode,city,country
 *                  (gen_customers' customers, -n rows, default 200000)
 * DIR/app.csv      id,name,phone,email,postcode (-a rows, default 10000)
 * DIR/answers.csv  id,code: the ERP code an app customer was copied from,
 *                  empty for one that has none (--orphans percent, default 10)
 *
 * Names are made by gen_customers.c (included), with its surnames widened
 * by about 3,000 made-up ones, since 200,000 customers drawn from 40
 * surnames would be mostly namesakes.  A copy's name gets, each by
 * chance: its legal suffix changed or dropped (35%), a typo (40%, a second
 * one 10%), two words swapped (15%), a word abbreviated (25%), accents
 * dropped (60% of names with accents), upper case (10%).  Its phone is
 * always written another way (national form, no spaces, dashes), missing
 * (10%) or another number (3%); its e-mail the same (70%), another mailbox
 * at the same domain (15%), missing (10%) or another (5%); its postcode
 * the same (60%), reformatted (25%), missing (10%) or another (5%).
 * Orphans are fresh customers from another seed.  Deterministic: the
 * same arguments give the same files.
 */
#define GEN_CUSTOMERS_LIBRARY
#include "gen_customers.c"

#include <ctype.h>

enum { DOM_PICK = 11, DOM_NOISE = 12, DOM_ORPHAN = 13 };

/* ---- more surnames ------------------------------------------------------ */

static const char *const onsets[] = {
    "Ash", "Brad", "Card", "Dun", "Ell", "Fair", "Gold", "Hart", "Kirk",
    "Lang", "Mar", "Nor", "Pen", "Rad", "Stan", "Thorn", "Wel", "Win",
    "Whit", "Bel", "Cal", "Dal", "Esk", "Fen", "Gar", "Hal", "Ing", "Kel",
    "Lock", "Mal", "Ox", "Pres", "Rock", "Sand", "Tal", "Ul", "Ver", "Wold",
    "Yar", "Brom",
};
static const char *const codas[] = {
    "ford", "ley", "ton", "wick", "field", "by", "ham", "worth", "more",
    "well", "croft", "stead", "bury", "den", "hurst", "wood", "brook",
    "shaw", "dale", "combe", "leigh", "mere", "thorpe", "gate", "ridge",
};
static const char *const tails[] = {"", "s", "e"};

#define N_WIDE (COUNT(onsets) * COUNT(codas) * COUNT(tails))
static char wide[N_WIDE][24];

static const char *wide_surname(uint64_t *s)
{
    if (chance(s, 15))
        return table_surname(s);
    return wide[rnd(s, (uint32_t)N_WIDE)];
}

static void init_surnames(void)
{
    size_t i = 0;
    for (size_t a = 0; a < COUNT(onsets); a++)
        for (size_t b = 0; b < COUNT(codas); b++)
            for (size_t t = 0; t < COUNT(tails); t++)
                snprintf(wide[i++], sizeof wide[0], "%s%s%s", onsets[a],
                         codas[b], tails[t]);
    surname_of = wide_surname;
}

/* ---- noise on a name ------------------------------------------------------ */

/* Replace n bytes at p in the NUL-terminated s (room `cap`) with r. */
static void splice(char *s, size_t cap, char *p, size_t n, const char *r)
{
    size_t rl = strlen(r), tail = strlen(p + n);
    if ((size_t)(p - s) + rl + tail + 1 > cap)
        return;
    memmove(p + rl, p + n, tail + 1);
    memcpy(p, r, rl);
}

/* The byte offsets of ASCII letters inside words of 4+ letters. */
static size_t typo_spots(const char *s, size_t *spot, size_t max)
{
    size_t n = 0, i = 0;
    while (s[i]) {
        size_t j = i;
        while (isalpha((unsigned char)s[j]))
            j++;
        if (j - i >= 4)
            for (size_t k = i + 1; k < j && n < max; k++) /* keep 1st */
                spot[n++] = k;
        i = j > i ? j : i + 1;
    }
    return n;
}

static void typo(char *s, size_t cap, uint64_t *r)
{
    size_t spot[96], n = typo_spots(s, spot, 96);
    if (!n)
        return;
    char *p = s + spot[rnd(r, (uint32_t)n)];
    char c[2] = {(char)('a' + rnd(r, 26)), 0};
    switch (rnd(r, 4)) {
    case 0: /* another letter */
        if (*c == *p)
            *c = *c == 'z' ? 'a' : (char)(*c + 1);
        splice(s, cap, p, 1, c);
        break;
    case 1: /* a letter missing */
        splice(s, cap, p, 1, "");
        break;
    case 2: /* a letter too many */
        splice(s, cap, p, 0, c);
        break;
    default: /* two letters swapped */
        if (isalpha((unsigned char)p[1]) && p[1] != p[0]) {
            char t = p[0];
            p[0] = p[1];
            p[1] = t;
        } else {
            splice(s, cap, p, 1, "");
        }
    }
}

static int is_suffix(const char *w, size_t len);

/* A word and the next one trade places; a legal suffix stays last. */
static void swap_words(char *s, uint64_t *r)
{
    char *w[32], tmp[128];
    size_t n = 0;
    for (char *p = s; *p && n < 32; p++)
        if (p == s || (p[-1] == ' ' && *p != ' '))
            w[n++] = p;
    if (n > 0 && is_suffix(w[n - 1], strlen(w[n - 1])))
        n--;
    if (n < 2)
        return;
    size_t i = rnd(r, (uint32_t)(n - 1));
    char *a = w[i], *b = w[i + 1];
    size_t al = (size_t)(b - a) - 1, bl = strcspn(b, " ");
    if (al + bl + 2 > sizeof tmp || a[al] != ' ')
        return;
    snprintf(tmp, sizeof tmp, "%.*s %.*s", (int)bl, b, (int)al, a);
    memcpy(a, tmp, al + bl + 1);
}

static const char *const abbrevs[][2] = {
    {"Supplies", "Supp"}, {"Engineering", "Eng"}, {"Centre", "Ctr"},
    {"Wholesale", "Whsle"}, {"Electrical", "Elec."}, {"Builders", "Bldrs"},
    {"Motors", "Mtrs"}, {" & ", " and "}, {"Pharmacy", "Pharm."},
    {"Logistics", "Logist."}, {"Merchants", "Merch."}, {"Sons", "Son"},
    {"Textiles", "Tex."}, {"Office", "Off."},
};

static void abbreviate(char *s, size_t cap, uint64_t *r)
{
    size_t start = rnd(r, (uint32_t)COUNT(abbrevs));
    for (size_t i = 0; i < COUNT(abbrevs); i++) {
        const char *const *ab = abbrevs[(start + i) % COUNT(abbrevs)];
        char *p = strstr(s, ab[0]);
        if (p) {
            splice(s, cap, p, strlen(ab[0]), ab[1]);
            return;
        }
    }
}

/* A legal suffix for another way of writing it, or none. */
static const char *const suffix_swaps[][2] = {
    {" Ltd", " Limited"}, {" Limited", " Ltd."}, {" Ltd", " (Pty) Ltd"},
    {" plc", " PLC"}, {" LLP", " L.L.P."}, {" Inc.", " Incorporated"},
    {" LLC", " L.L.C."}, {" Corp.", " Corporation"}, {" Co.", " Company"},
    {" GmbH & Co. KG", " GmbH & Co KG"}, {" GmbH", " GMBH"},
    {" AG", " A.G."}, {" KG", " K.G."}, {" SARL", " S.A.R.L."},
    {" SAS", " S.A.S."}, {" SA", " S.A."}, {" B.V.", " BV"},
    {" N.V.", " NV"}, {" BV", " B.V."}, {" SRL", " S.R.L."},
    {" S.L.", " SL"}, {" S.A.", " SA"}, {" DAC", " D.A.C."},
    {" Teoranta", " Teo."}, {" & Co", " and Company"},
};

/* Is the word [w, w + len) the last word of a legal suffix? */
static int is_suffix(const char *w, size_t len)
{
    for (size_t i = 0; i < 2 * COUNT(suffix_swaps); i++) {
        const char *sfx = strrchr(suffix_swaps[i / 2][i % 2], ' ') + 1;
        if (strlen(sfx) == len && strncmp(sfx, w, len) == 0)
            return 1;
    }
    return 0;
}

static void change_suffix(char *s, size_t cap, uint64_t *r)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < COUNT(suffix_swaps); i++) {
        size_t sl = strlen(suffix_swaps[i][0]);
        if (len > sl && strcmp(s + len - sl, suffix_swaps[i][0]) == 0) {
            splice(s, cap, s + len - sl, sl,
                   chance(r, 40) ? "" : suffix_swaps[i][1]);
            return;
        }
    }
}

/* UTF-8 Latin letters of the surname table to ASCII, as a clerk types
 * them: é -> e, ü -> u or ue. */
static void drop_accents(char *s, size_t cap, uint64_t *r)
{
    static const char *const map[][2] = {
        {"\xC3\xA8", "e"}, {"\xC3\xA9", "e"}, {"\xC3\xAD", "i"},
        {"\xC3\xA1", "a"}, {"\xC3\x89", "E"}, {"\xC3\xB6", "o"},
    };
    int ue = chance(r, 50);
    for (char *p = s; *p; p++) {
        if (strncmp(p, "\xC3\xBC", 2) == 0 || strncmp(p, "\xC3\xA4", 2) == 0) {
            char a[3] = {p[1] == '\xBC' ? 'u' : 'a', 'e', 0};
            if (!ue)
                a[1] = 0;
            splice(s, cap, p, 2, a);
            continue;
        }
        for (size_t i = 0; i < COUNT(map); i++)
            if (strncmp(p, map[i][0], 2) == 0)
                splice(s, cap, p, 2, map[i][1]);
    }
}

static void upper(char *s)
{
    for (; *s; s++)
        if (*s >= 'a' && *s <= 'z')
            *s = (char)(*s - 'a' + 'A');
}

static int has_accent(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 1;
    return 0;
}

/* ---- noise on the other fields ------------------------------------------ */

static void reformat_phone(const char *in, char *out, size_t cap, uint64_t *r)
{
    char digits[32];
    size_t n = 0, dial = 0;
    for (const char *p = in; *p && n + 1 < sizeof digits; p++) {
        if (*p == ' ' && !dial)
            dial = n; /* digits of the country code */
        if (isdigit((unsigned char)*p))
            digits[n++] = *p;
    }
    digits[n] = 0;
    switch (rnd(r, 3)) {
    case 0: /* national: 0 instead of the country code */
        snprintf(out, cap, "0%.2s %s", digits + dial, digits + dial + 2);
        break;
    case 1:
        snprintf(out, cap, "+%s", digits);
        break;
    default:
        snprintf(out, cap, "(0%.2s) %.3s-%s", digits + dial, digits + dial + 2,
                 digits + dial + 5);
    }
}

static unsigned long long gcd(unsigned long long a, unsigned long long b)
{
    while (b) {
        unsigned long long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* ---- output ---------------------------------------------------------------- */

static FILE *open_out(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "gen_xref: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    return f;
}

static void close_out(void)
{
    flush_out();
    if (fclose(out) != 0) {
        perror("gen_xref: write");
        exit(1);
    }
}

static void app_copy(const struct customer *c, const char *id, uint64_t *r)
{
    char name[192], phone[40], email[96], pc[16];
    const char *at = strchr(c->email, '@');

    snprintf(name, sizeof name, "%s", c->name);
    if (chance(r, 35))
        change_suffix(name, sizeof name, r);
    if (chance(r, 40))
        typo(name, sizeof name, r);
    if (chance(r, 10))
        typo(name, sizeof name, r);
    if (chance(r, 15))
        swap_words(name, r);
    if (chance(r, 25))
        abbreviate(name, sizeof name, r);
    if (has_accent(name) && chance(r, 60))
        drop_accents(name, sizeof name, r);
    if (chance(r, 10))
        upper(name);

    unsigned p = rnd(r, 100);
    phone[0] = 0;
    if (c->phone[0] && p < 87)
        reformat_phone(c->phone, phone, sizeof phone, r);
    else if (p >= 97)
        snprintf(phone, sizeof phone, "0%u %04u", 100 + rnd(r, 900),
                 rnd(r, 10000));

    unsigned e = rnd(r, 100);
    email[0] = 0;
    if (e < 70 || !at)
        snprintf(email, sizeof email, "%s", c->email);
    else if (e < 85)
        snprintf(email, sizeof email, "%s%s", PICK(r, mailboxes), at);
    else if (e >= 95)
        snprintf(email, sizeof email, "%s@example.net", PICK(r, mailboxes));

    unsigned z = rnd(r, 100);
    pc[0] = 0;
    if (z < 60) {
        snprintf(pc, sizeof pc, "%s", c->postcode);
    } else if (z < 85) {
        size_t k = 0;
        for (const char *q = c->postcode; *q && k + 1 < sizeof pc; q++)
            if (*q != ' ')
                pc[k++] = (char)tolower((unsigned char)*q);
        pc[k] = 0;
    } else if (z >= 95) {
        snprintf(pc, sizeof pc, "%u", 10000 + rnd(r, 89999));
    }

    field(id, 0);
    field(name, 0);
    field(phone, 0);
    field(email, 0);
    field(pc, 1);
}

int main(int argc, char **argv)
{
    unsigned long long nerp = 200000, napp = 10000, seed = 1;
    double orphans = 10;
    const char *dir = NULL;
    struct customer c;
    FILE *answers;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-n"))
            nerp = parse_u64(a, v), i++;
        else if (!strcmp(a, "-a"))
            napp = parse_u64(a, v), i++;
        else if (!strcmp(a, "-s"))
            seed = parse_u64(a, v), i++;
        else if (!strcmp(a, "--orphans") && v)
            orphans = strtod(v, NULL), i++;
        else if (!strcmp(a, "-o") && v)
            dir = v, i++;
        else {
            fputs("usage: gen_xref [-n ERP_ROWS] [-a APP_ROWS] "
                  "[--orphans PCT] [-s SEED] -o DIR\n", stderr);
            return 2;
        }
    }
    if (!dir || nerp == 0 || orphans < 0 || orphans > 100) {
        fputs("gen_xref: -o DIR is required, -n > 0, --orphans 0-100\n",
              stderr);
        return 2;
    }
    init_surnames();

    out = open_out(dir, "erp.csv");
    put("code,name,phone,email,postcode,city,country\n", 44);
    for (unsigned long long i = 1; i <= nerp; i++) {
        char code[16];
        gen_customer(&c, i, seed, DOM_BASE);
        snprintf(code, sizeof code, "C%07llu", i);
        field(code, 0);
        field(c.name, 0);
        field(c.phone, 0);
        field(c.email, 0);
        field(c.postcode, 0);
        field(c.ctry->cities[c.city].name, 0);
        field(c.ctry->iso, 1);
    }
    close_out();

    /* Copies of distinct ERP rows: a stride coprime to nerp visits each
     * row at most once. */
    unsigned long long norph = percent_of(napp, orphans), stride = 104729;
    uint64_t ps = stream_for(seed, 0, DOM_PICK);
    unsigned long long start = splitmix64(&ps) % nerp;
    while (gcd(stride, nerp) != 1)
        stride += 2;
    answers = open_out(dir, "answers.csv");
    fputs("id,code\n", answers);
    out = open_out(dir, "app.csv");
    put("id,name,phone,email,postcode\n", 29);
    for (unsigned long long j = 0; j < napp; j++) {
        char id[24];
        uint64_t r = stream_for(seed, j, DOM_NOISE);
        snprintf(id, sizeof id, "HB_%06llu", j + 1);
        /* orphans spread through the file: every (napp / norph)-th */
        int orphan = norph && (j * norph) / napp != ((j + 1) * norph) / napp;
        if (orphan) {
            gen_customer(&c, j + 1, seed + 1000, DOM_ORPHAN);
            app_copy(&c, id, &r);
            fprintf(answers, "%s,\n", id);
        } else {
            unsigned long long row = 1 + (start + j * stride) % nerp;
            gen_customer(&c, row, seed, DOM_BASE);
            app_copy(&c, id, &r);
            fprintf(answers, "%s,C%07llu\n", id, row);
        }
    }
    close_out();
    if (fclose(answers) != 0) {
        perror("gen_xref: answers.csv");
        return 1;
    }
    return 0;
}

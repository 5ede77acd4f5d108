/*
 * gen_customers - deterministic generator of ERP customer exports (CSV).
 *
 * Benchmark tool only: it is not built or run by `make`, `make check` or CI.
 *
 *   cc -O2 -o gen_customers gen_customers.c
 *
 *   gen_customers [-n ROWS] [-s SEED] [-o FILE] > customers.csv
 *       A full export of ROWS customers (default 1000000, seed 1).
 *
 *   gen_customers -n ROWS --base-seed S --changes CHG,NEW,DEL [-s SEED]
 *       The "next export" after the one `gen_customers -n ROWS -s S` wrote:
 *       the base stream is regenerated internally, CHG percent of its rows
 *       are changed (sales_rep, city+postcode, address1, phone or
 *       credit_limit, plus `updated`), DEL percent are dropped, and NEW
 *       percent (of ROWS) new customers are appended with codes after the
 *       last base code.  SEED picks which rows; counts are exact
 *       (round(ROWS * PCT / 100)).  E.g. --changes 1,0.5,0.2 on 1,000,000
 *       rows: 10,000 changed, 2,000 deleted, 5,000 new, 1,003,000 rows.
 *
 * Columns: code,name,address1,address2,city,postcode,country,phone,email,
 * sales_rep,credit_limit,updated.  About 150 bytes a row, LF line ends,
 * RFC 4180 quoting (names and addresses with commas, the odd doubled quote),
 * UTF-8 (a few accented names), some empty fields.  Codes are C0000001,
 * C0000002, ... in ascending order and unique.
 *
 * Every row is a pure function of (seed, row number), using a private
 * splitmix64 generator, so the same arguments give byte-identical output on
 * every platform and the --changes mode needs no copy of the base file.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- PRNG ------------------------------------------------------------ */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* An independent stream for (seed, row, domain). */
static uint64_t stream_for(uint64_t seed, uint64_t row, uint64_t domain)
{
    uint64_t s = seed ^ (domain * UINT64_C(0xD1B54A32D192ED03));
    uint64_t a = splitmix64(&s);
    s = a ^ (row * UINT64_C(0x9E3779B97F4A7C15));
    return splitmix64(&s);
}

enum { DOM_BASE = 1, DOM_SELECT = 2, DOM_MUTATE = 3, DOM_NEW = 4 };

/* 0 <= r < n; n > 0.  Tiny modulo bias is irrelevant here, determinism
 * is what matters. */
static uint32_t rnd(uint64_t *s, uint32_t n)
{
    return (uint32_t)(splitmix64(s) % n);
}

/* true with probability pct/100 */
static int chance(uint64_t *s, unsigned pct)
{
    return rnd(s, 100) < pct;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define PICK(s, a) ((a)[rnd((s), (uint32_t)COUNT(a))])

/* ---- reference data ---------------------------------------------------- */

struct surname {
    const char *name; /* as displayed (UTF-8) */
    const char *slug; /* ASCII, for e-mail domains */
};

static const struct surname surnames[] = {
    {"Harper", "harper"}, {"Whitfield", "whitfield"}, {"Okafor", "okafor"},
    {"Brennan", "brennan"}, {"Lefebvre", "lefebvre"}, {"Dubois", "dubois"},
    {"Moreau", "moreau"}, {"Lef\xC3\xA8vre", "lefevre"},
    {"M\xC3\xBCller", "mueller"}, {"Schneider", "schneider"},
    {"Becker", "becker"}, {"Wagner", "wagner"}, {"Garc\xC3\xAD" "a", "garcia"},
    {"Fern\xC3\xA1ndez", "fernandez"}, {"Rossi", "rossi"},
    {"Bianchi", "bianchi"}, {"Van Dijk", "vandijk"}, {"De Vries", "devries"},
    {"Janssens", "janssens"}, {"Peeters", "peeters"},
    {"O'Sullivan", "osullivan"}, {"Murphy", "murphy"}, {"Walsh", "walsh"},
    {"Thompson", "thompson"}, {"Patel", "patel"}, {"Nguyen", "nguyen"},
    {"Kowalski", "kowalski"}, {"Anderson", "anderson"},
    {"Fitzgerald", "fitzgerald"}, {"Carter", "carter"},
    {"Holloway", "holloway"}, {"Pemberton", "pemberton"},
    {"Ashworth", "ashworth"}, {"Kingsley", "kingsley"}, {"Blake", "blake"},
    {"Marsh", "marsh"}, {"Delacroix", "delacroix"}, {"Hoffmann", "hoffmann"},
    {"Sch\xC3\xA4" "fer", "schaefer"}, {"Lindqvist", "lindqvist"},
};

static const char *const adjectives[] = {
    "Northern", "Southern", "Coastal", "Premier", "United", "Golden",
    "Silver", "Green", "Red Lion", "Blue Door", "Riverside", "Highland",
    "Central", "Atlantic", "Pioneer", "Summit", "Heritage", "Royal",
};

static const char *const trades[] = {
    "Timber Supplies", "Hardware", "Plumbing", "Electrical", "Builders",
    "Bakery", "Farm Shop", "Garden Centre", "Motors", "Pharmacy",
    "Wholesale", "Catering", "Office Supplies", "Engineering", "Textiles",
    "Logistics", "Florists", "Print Works", "Wine Merchants", "Tools",
};

static const char *const streets[] = {
    "High", "Station", "Church", "Mill", "Park", "Victoria", "Market",
    "Bridge", "King", "Queen", "Oak", "Elm", "Chestnut", "Harbour", "Castle",
    "Meadow", "Orchard", "Newport", "Albion", "Windsor", "Industrial",
    "Greenfield", "St. Mary's", "Chapel", "Kingfisher", "Beechwood",
    "Riverside", "Farmhouse", "Sycamore", "Old Quarry", "Wellington",
};

static const char *const street_types[] = {
    "Street", "Road", "Lane", "Avenue", "Way", "Close", "Drive", "Place",
    "Crescent", "Gardens", "Terrace", "Boulevard",
};

static const char *const address2s[] = {
    "Unit 4", "Suite 200", "Building B", "2nd Floor", "Industrial Estate",
    "Business Park", "Trading Estate", "Rear Entrance", "Dock 3",
    "c/o Accounts Dept.",
};

static const char *const mailboxes[] = {
    "accounts", "accounts.payable", "info", "sales", "ap", "orders",
    "office", "purchasing", "finance", "invoices",
};

struct city {
    const char *name;
    const char *pc; /* postcode prefix */
};

enum pc_style { PC_GB, PC_5, PC_NL, PC_4, PC_IE };

struct country {
    const char *iso;
    unsigned weight;
    const char *dial;
    const char *tld;
    enum pc_style pc_style;
    const char *const *suffixes;
    unsigned nsuffixes;
    const struct city *cities;
    unsigned ncities;
};

static const char *const sfx_gb[] = {"Ltd", "Ltd", "plc", "LLP", "Limited"};
static const char *const sfx_fr[] = {"SARL", "SAS", "SA"};
static const char *const sfx_de[] = {"GmbH", "GmbH", "AG", "KG", "GmbH & Co. KG"};
static const char *const sfx_us[] = {"Inc.", "LLC", "Corp.", "Co."};
static const char *const sfx_nl[] = {"B.V.", "B.V.", "N.V."};
static const char *const sfx_be[] = {"BV", "SA", "SRL"};
static const char *const sfx_es[] = {"S.L.", "S.A."};
static const char *const sfx_ie[] = {"Ltd", "DAC", "Teoranta"};

static const struct city c_gb[] = {
    {"London", "EC"}, {"Manchester", "M"}, {"Birmingham", "B"},
    {"Leeds", "LS"}, {"Bristol", "BS"}, {"Newcastle upon Tyne", "NE"},
    {"Nottingham", "NG"}, {"Sheffield", "S"}, {"Norwich", "NR"},
    {"Exeter", "EX"}, {"Stoke-on-Trent", "ST"}, {"York", "YO"},
};
static const struct city c_fr[] = {
    {"Paris", "75"}, {"Lyon", "69"}, {"Marseille", "13"}, {"Toulouse", "31"},
    {"Nantes", "44"}, {"Lille", "59"}, {"Bordeaux", "33"},
    {"Saint-\xC3\x89tienne", "42"}, {"Rennes", "35"}, {"Strasbourg", "67"},
};
static const struct city c_de[] = {
    {"Berlin", "10"}, {"Hamburg", "20"}, {"M\xC3\xBCnchen", "80"},
    {"K\xC3\xB6ln", "50"}, {"Frankfurt am Main", "60"}, {"Stuttgart", "70"},
    {"D\xC3\xBCsseldorf", "40"}, {"Leipzig", "04"}, {"Bremen", "28"},
};
static const struct city c_us[] = {
    {"Springfield", "627"}, {"Austin", "787"}, {"Columbus", "432"},
    {"Portland", "972"}, {"Charlotte", "282"}, {"Denver", "802"},
    {"Madison", "537"}, {"Savannah", "314"}, {"Boise", "837"},
    {"Albany", "122"},
};
static const struct city c_nl[] = {
    {"Amsterdam", "10"}, {"Rotterdam", "30"}, {"Utrecht", "35"},
    {"Eindhoven", "56"}, {"'s-Hertogenbosch", "52"}, {"Groningen", "97"},
};
static const struct city c_be[] = {
    {"Brussel", "10"}, {"Antwerpen", "20"}, {"Gent", "90"},
    {"Li\xC3\xA8ge", "40"}, {"Brugge", "80"}, {"Namur", "50"},
};
static const struct city c_es[] = {
    {"Madrid", "28"}, {"Barcelona", "08"}, {"Valencia", "46"},
    {"Sevilla", "41"}, {"Bilbao", "48"}, {"M\xC3\xA1laga", "29"},
};
static const struct city c_ie[] = {
    {"Dublin", "D02"}, {"Cork", "T12"}, {"Galway", "H91"},
    {"Limerick", "V94"}, {"Waterford", "X91"},
};

#define COUNTRY(iso, w, dial, tld, st, sfx, c) \
    {iso, w, dial, tld, st, sfx, COUNT(sfx), c, COUNT(c)}
static const struct country countries[] = {
    COUNTRY("GB", 30, "+44", "co.uk", PC_GB, sfx_gb, c_gb),
    COUNTRY("FR", 18, "+33", "fr", PC_5, sfx_fr, c_fr),
    COUNTRY("DE", 15, "+49", "de", PC_5, sfx_de, c_de),
    COUNTRY("US", 15, "+1", "com", PC_5, sfx_us, c_us),
    COUNTRY("NL", 6, "+31", "nl", PC_NL, sfx_nl, c_nl),
    COUNTRY("BE", 5, "+32", "be", PC_4, sfx_be, c_be),
    COUNTRY("ES", 5, "+34", "es", PC_5, sfx_es, c_es),
    COUNTRY("IE", 6, "+353", "ie", PC_IE, sfx_ie, c_ie),
};

#define N_REPS 60

/* ---- one customer -------------------------------------------------------- */

struct customer {
    unsigned long long code;
    const struct country *ctry;
    unsigned city;
    int rep;             /* 0 = unassigned */
    char name[96];
    char address1[96];
    char address2[64];
    char postcode[16];
    char phone[32];
    char email[96];
    char credit[24];
    char updated[48];
};

static const struct country *pick_country(uint64_t *s)
{
    unsigned total = 0, r, i;
    for (i = 0; i < COUNT(countries); i++)
        total += countries[i].weight;
    r = rnd(s, total);
    for (i = 0; r >= countries[i].weight; i++)
        r -= countries[i].weight;
    return &countries[i];
}

static const char *table_surname(uint64_t *s)
{
    return PICK(s, surnames).name;
}

/* Where gen_name draws its surnames; gen_xref.c, which includes this file,
 * widens the choice. */
static const char *(*surname_of)(uint64_t *s) = table_surname;

static void gen_name(struct customer *c, uint64_t *s)
{
    /* Draw everything first, in a fixed order: the evaluation order of
     * function arguments is unspecified, and the output must not depend
     * on the compiler. */
    const char *a = surname_of(s);
    const char *b = surname_of(s);
    const char *sfx = c->ctry->suffixes[rnd(s, c->ctry->nsuffixes)];
    const char *adj = PICK(s, adjectives);
    const char *trade = PICK(s, trades);
    unsigned r = rnd(s, 100);
    char *n = c->name;
    size_t sz = sizeof c->name;

    if (r < 12)
        snprintf(n, sz, "%s %s", a, sfx);
    else if (r < 30)
        snprintf(n, sz, "%s & Sons %s %s", a, trade, sfx);
    else if (r < 45)
        snprintf(n, sz, "%s & %s %s", a, b, sfx);
    else if (r < 55) /* comma: needs quoting */
        snprintf(n, sz, "%s, %s & Co", a, b);
    else if (r < 70)
        snprintf(n, sz, "%s %s %s", adj, trade, sfx);
    else if (r < 85)
        snprintf(n, sz, "%s %s", a, trade);
    else if (r < 99) /* comma: needs quoting */
        snprintf(n, sz, "%s %s, %s", a, trade, sfx);
    else /* embedded quotes: doubled in the CSV */
        snprintf(n, sz, "The \"%s\" %s", adj, trade);
}

static void gen_address1(struct customer *c, uint64_t *s)
{
    unsigned num = 1 + rnd(s, 250);
    const char *st = PICK(s, streets), *ty = PICK(s, street_types);
    if (chance(s, 8)) /* comma: needs quoting */
        snprintf(c->address1, sizeof c->address1, "Unit %u, %u %s %s",
                 1 + rnd(s, 40), num, st, ty);
    else
        snprintf(c->address1, sizeof c->address1, "%u %s %s", num, st, ty);
}

static void gen_address2(struct customer *c, uint64_t *s)
{
    unsigned r = rnd(s, 100);
    unsigned unit = 1 + rnd(s, 60);
    const char *st = PICK(s, streets);
    if (r < 40)
        snprintf(c->address2, sizeof c->address2, "%s", PICK(s, address2s));
    else if (r < 60) /* comma: needs quoting */
        snprintf(c->address2, sizeof c->address2, "Unit %u, %s Business Park",
                 unit, st);
    else if (r < 80)
        snprintf(c->address2, sizeof c->address2, "%s Industrial Estate", st);
    else
        snprintf(c->address2, sizeof c->address2, "PO Box %u",
                 100 + rnd(s, 9900));
}

static void gen_postcode(struct customer *c, uint64_t *s)
{
    const char *pfx = c->ctry->cities[c->city].pc;
    static const char L[] = "ABDEFGHJLNPQRSTUWXYZ"; /* no C I K M O V */
    /* Draw in a fixed order: argument evaluation order is unspecified. */
    unsigned n1 = rnd(s, 20), n2 = rnd(s, 10), n3 = rnd(s, 100),
             n4 = rnd(s, 1000), l1 = rnd(s, 20), l2 = rnd(s, 20);
    switch (c->ctry->pc_style) {
    case PC_GB:
        snprintf(c->postcode, sizeof c->postcode, "%s%u %u%c%c", pfx, 1 + n1,
                 n2, L[l1], L[l2]);
        break;
    case PC_5: /* 2- or 3-digit prefix + digits to make five */
        if (strlen(pfx) == 3)
            snprintf(c->postcode, sizeof c->postcode, "%s%02u", pfx, n3);
        else
            snprintf(c->postcode, sizeof c->postcode, "%s%03u", pfx, n4);
        break;
    case PC_NL:
        snprintf(c->postcode, sizeof c->postcode, "%s%02u %c%c", pfx, n3,
                 L[l1], L[l2]);
        break;
    case PC_4:
        snprintf(c->postcode, sizeof c->postcode, "%s%02u", pfx, n3);
        break;
    case PC_IE:
        snprintf(c->postcode, sizeof c->postcode, "%s %c%03u", pfx, L[l1],
                 n4);
        break;
    }
}

static void phone_number(struct customer *c, uint64_t *s)
{
    unsigned a = 10 + rnd(s, 90), b = rnd(s, 1000), d = rnd(s, 10000);
    snprintf(c->phone, sizeof c->phone, "%s %u %03u %04u", c->ctry->dial, a,
             b, d);
}

static void gen_phone(struct customer *c, uint64_t *s)
{
    if (chance(s, 4))
        c->phone[0] = '\0';
    else
        phone_number(c, s);
}

static void gen_credit(struct customer *c, uint64_t *s)
{
    static const unsigned limits[] = {0, 1000, 2500, 5000, 5000, 10000,
                                      10000, 15000, 25000, 50000, 100000};
    snprintf(c->credit, sizeof c->credit, "%u.00", PICK(s, limits));
}

/* days since 1970-01-01 -> y-m-d (proleptic Gregorian, H. Hinnant) */
static void civil(long long z, int *y, unsigned *m, unsigned *d)
{
    long long era, yy;
    unsigned doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    yy = (long long)yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

/* Base rows were last updated between 2016-01-01 and 2024-12-31; the next
 * export's changes and new rows on 2025-01-02. */
#define DAY_2016_01_01 16801LL
#define DAY_2025_01_02 20090LL

static void set_updated(struct customer *c, long long day, unsigned secs)
{
    int y;
    unsigned m, d;
    civil(day, &y, &m, &d);
    snprintf(c->updated, sizeof c->updated, "%04d-%02u-%02u %02u:%02u:%02u",
             y, m, d, secs / 3600, secs / 60 % 60, secs % 60);
}

static void gen_customer(struct customer *c, unsigned long long code,
                         uint64_t seed, uint64_t domain)
{
    uint64_t s = stream_for(seed, code, domain);
    const struct surname *mail;

    memset(c, 0, sizeof *c);
    c->code = code;
    c->ctry = pick_country(&s);
    c->city = rnd(&s, c->ctry->ncities);
    gen_name(c, &s);
    gen_address1(c, &s);
    if (chance(&s, 45))
        gen_address2(c, &s);
    gen_postcode(c, &s);
    gen_phone(c, &s);
    mail = &PICK(&s, surnames);
    if (!chance(&s, 8)) {
        unsigned n = rnd(&s, 4) ? 0 : 1 + rnd(&s, 99);
        if (n)
            snprintf(c->email, sizeof c->email, "%s@%s%u.%s",
                     PICK(&s, mailboxes), mail->slug, n, c->ctry->tld);
        else
            snprintf(c->email, sizeof c->email, "%s@%s.%s",
                     PICK(&s, mailboxes), mail->slug, c->ctry->tld);
    }
    c->rep = chance(&s, 3) ? 0 : 1 + (int)rnd(&s, N_REPS);
    gen_credit(c, &s);
    if (domain == DOM_NEW)
        set_updated(c, DAY_2025_01_02, rnd(&s, 86400));
    else
    {
        long long day = DAY_2016_01_01 + rnd(&s, 3287);
        set_updated(c, day, rnd(&s, 86400));
    }
}

#ifndef GEN_CUSTOMERS_LIBRARY /* gen_xref.c takes what comes before */
/* A change the next export shows for this customer.  Always different
 * from the base values; `updated` moves to the export day. */
static void mutate(struct customer *c, uint64_t seed)
{
    uint64_t s = stream_for(seed, c->code, DOM_MUTATE);
    unsigned r = rnd(&s, 100);
    char old[96];

    if (r < 35) { /* reassigned to another sales rep */
        int rep = 1 + (int)rnd(&s, N_REPS - 1);
        c->rep = rep >= c->rep ? rep + (c->rep > 0) : rep;
    } else if (r < 65) { /* moved to another city of the same country */
        c->city = (c->city + 1 + rnd(&s, c->ctry->ncities - 1)) %
                  c->ctry->ncities;
        gen_postcode(c, &s);
        gen_address1(c, &s);
    } else if (r < 80) { /* new street address */
        memcpy(old, c->address1, sizeof old);
        do
            gen_address1(c, &s);
        while (strcmp(old, c->address1) == 0);
    } else if (r < 90) { /* new phone number */
        memcpy(old, c->phone, sizeof c->phone);
        do
            phone_number(c, &s);
        while (strcmp(old, c->phone) == 0);
    } else { /* credit limit reviewed */
        memcpy(old, c->credit, sizeof c->credit);
        do
            gen_credit(c, &s);
        while (strcmp(old, c->credit) == 0);
    }
    set_updated(c, DAY_2025_01_02, rnd(&s, 86400));
}

#endif

/* ---- output ---------------------------------------------------------------- */

static char obuf[1 << 16];
static size_t olen;
static FILE *out;

static void flush_out(void)
{
    if (olen && fwrite(obuf, 1, olen, out) != olen) {
        perror("gen_customers: write");
        exit(1);
    }
    olen = 0;
}

static void put(const char *p, size_t n)
{
    if (olen + n > sizeof obuf)
        flush_out();
    memcpy(obuf + olen, p, n);
    olen += n;
}

static void field(const char *v, int last)
{
    if (strpbrk(v, ",\"\r\n")) {
        put("\"", 1);
        for (const char *q; (q = strchr(v, '"')) != NULL; v = q + 1) {
            put(v, (size_t)(q - v) + 1);
            put("\"", 1);
        }
        put(v, strlen(v));
        put("\"", 1);
    } else {
        put(v, strlen(v));
    }
    put(last ? "\n" : ",", 1);
}

#ifndef GEN_CUSTOMERS_LIBRARY
static void write_customer(const struct customer *c)
{
    char code[32], rep[8];
    snprintf(code, sizeof code, "C%07llu", c->code);
    if (c->rep)
        snprintf(rep, sizeof rep, "R%03d", c->rep);
    else
        rep[0] = '\0';
    field(code, 0);
    field(c->name, 0);
    field(c->address1, 0);
    field(c->address2, 0);
    field(c->ctry->cities[c->city].name, 0);
    field(c->postcode, 0);
    field(c->ctry->iso, 0);
    field(c->phone, 0);
    field(c->email, 0);
    field(rep, 0);
    field(c->credit, 0);
    field(c->updated, 1);
}

/* ---- command line ---------------------------------------------------------- */

static void usage(FILE *f)
{
    fputs("usage: gen_customers [-n ROWS] [-s SEED] [-o FILE] [-v]\n"
          "       gen_customers [-n ROWS] --base-seed S\n"
          "                     --changes PCT_CHANGED,PCT_NEW,PCT_DELETED "
          "[-s SEED] [-o FILE] [-v]\n"
          "  -n ROWS      rows of the (base) export (default 1000000)\n"
          "  -s SEED      seed of the export, or of the change set with "
          "--changes (default 1)\n"
          "  -o FILE      write to FILE instead of standard output\n"
          "  -v           print row counts to standard error\n"
          "  --changes    write the next export after `-n ROWS -s S`: change, "
          "add and\n"
          "               delete these percentages of ROWS (e.g. 1,0.5,0.2)\n"
          "  --base-seed  the seed S the base export was written with\n",
          f);
}

#endif

static unsigned long long parse_u64(const char *opt, const char *v)
{
    char *end;
    unsigned long long x;
    errno = 0;
    if (!v || !*v || *v == '-') {
        fprintf(stderr, "gen_customers: %s needs a non-negative integer\n",
                opt);
        exit(2);
    }
    x = strtoull(v, &end, 10);
    if (errno || *end) {
        fprintf(stderr, "gen_customers: %s: not a valid number: '%s'\n", opt,
                v);
        exit(2);
    }
    return x;
}

#ifndef GEN_CUSTOMERS_LIBRARY
static void parse_changes(const char *v, double pct[3])
{
    const char *p = v;
    char *end;
    for (int i = 0; i < 3; i++) {
        errno = 0;
        pct[i] = strtod(p, &end);
        if (errno || end == p || pct[i] < 0 || pct[i] > 100 ||
            (i < 2 && *end != ',') || (i == 2 && *end)) {
            fprintf(stderr,
                    "gen_customers: --changes wants PCT_CHANGED,PCT_NEW,"
                    "PCT_DELETED (percentages 0-100), got '%s'\n",
                    v ? v : "");
            exit(2);
        }
        p = end + 1;
    }
}

#endif

/* round(rows * pct / 100), without libm */
static unsigned long long percent_of(unsigned long long rows, double pct)
{
    return (unsigned long long)((double)rows * pct / 100.0 + 0.5);
}

#ifndef GEN_CUSTOMERS_LIBRARY
int main(int argc, char **argv)
{
    unsigned long long rows = 1000000, seed = 1, base_seed = 0;
    int have_base = 0, have_changes = 0, verbose = 0;
    const char *outpath = NULL;
    double pct[3] = {0, 0, 0};
    struct customer c;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-n") || !strcmp(a, "--rows")) {
            rows = parse_u64(a, v), i++;
        } else if (!strcmp(a, "-s") || !strcmp(a, "--seed")) {
            seed = parse_u64(a, v), i++;
        } else if (!strcmp(a, "--base-seed")) {
            base_seed = parse_u64(a, v), have_base = 1, i++;
        } else if (!strcmp(a, "--changes")) {
            parse_changes(v, pct), have_changes = 1, i++;
        } else if (!strcmp(a, "-o")) {
            if (!v) {
                fputs("gen_customers: -o needs a file name\n", stderr);
                return 2;
            }
            outpath = v, i++;
        } else if (!strcmp(a, "-v")) {
            verbose = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "gen_customers: unknown argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (have_changes != have_base) {
        fputs("gen_customers: --changes and --base-seed go together\n",
              stderr);
        return 2;
    }
    if (rows > 9999999ULL * 1000) {
        fputs("gen_customers: -n is too large\n", stderr);
        return 2;
    }

    out = stdout;
    if (outpath && !(out = fopen(outpath, "wb"))) {
        fprintf(stderr, "gen_customers: %s: %s\n", outpath, strerror(errno));
        return 1;
    }

    static const char header[] =
        "code,name,address1,address2,city,postcode,country,phone,email,"
        "sales_rep,credit_limit,updated\n";
    put(header, sizeof header - 1);

    if (!have_changes) {
        for (unsigned long long i = 1; i <= rows; i++) {
            gen_customer(&c, i, seed, DOM_BASE);
            write_customer(&c);
        }
        if (verbose)
            fprintf(stderr, "gen_customers: %llu rows (seed %llu)\n", rows,
                    seed);
    } else {
        unsigned long long nchg = percent_of(rows, pct[0]);
        unsigned long long nnew = percent_of(rows, pct[1]);
        unsigned long long ndel = percent_of(rows, pct[2]);
        unsigned long long kc = nchg, kd = ndel;
        if (nchg + ndel > rows) {
            fputs("gen_customers: changed + deleted exceed 100%\n", stderr);
            return 2;
        }
        /* Selection sampling (Knuth, TAOCP 3.4.2, Algorithm S) for two
         * disjoint sets: exact counts, one pass, no memory. */
        for (unsigned long long i = 1; i <= rows; i++) {
            uint64_t s = stream_for(seed, i, DOM_SELECT);
            unsigned long long left = rows - i + 1;
            unsigned long long x = splitmix64(&s) % left;
            if (x < kd) {
                kd--;
                continue; /* deleted from the ERP */
            }
            gen_customer(&c, i, base_seed, DOM_BASE);
            if (x < kd + kc) {
                kc--;
                mutate(&c, seed);
            }
            write_customer(&c);
        }
        for (unsigned long long j = 1; j <= nnew; j++) {
            gen_customer(&c, rows + j, seed, DOM_NEW);
            write_customer(&c);
        }
        if (verbose)
            fprintf(stderr,
                    "gen_customers: base %llu rows (seed %llu), changed %llu, "
                    "deleted %llu, new %llu: %llu rows (change seed %llu)\n",
                    rows, base_seed, nchg, ndel, nnew, rows - ndel + nnew,
                    seed);
    }
    flush_out();
    if (fflush(out) != 0 || (out != stdout && fclose(out) != 0) ||
        ferror(stdout)) {
        perror("gen_customers: write");
        return 1;
    }
    return 0;
}
#endif /* GEN_CUSTOMERS_LIBRARY */

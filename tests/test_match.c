/* Unit tests of the matcher behind `weir xref suggest` (core/match/):
 * name normalisation, similarity, the index against a brute-force scan,
 * evidence. */
#include "config.h"

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "match/match.h"
#include "match/name_norm.h"

static char norm_buf[WEIR_NAME_NORM_MAX];

static const char *norm(const char *name)
{
    weir_name_norm(name, norm_buf, sizeof norm_buf);
    return norm_buf;
}

#define NORM(in, want) CU_ASSERT_STRING_EQUAL(norm(in), want)

static void test_suffixes(void)
{
    static const char *const forms[] = {
        "Ltd", "Ltd.", "Limited", "LIMITED", "Pty", "(Pty) Ltd", "Pty. Ltd.",
        "Inc", "Inc.", "Incorporated", "Corp", "Corp.", "Corporation", "Co",
        "Co.", "& Co", "and Co.", "Company", "GmbH", "GmbH & Co. KG",
        "GmbH & Co KG", "KG", "AG", "A.G.", "LLP", "L.L.P.", "LLC",
        "L.L.C.", "CC", "plc", "PLC", "SA", "S.A.", "S. A.", "SAS",
        "S.A.S.", "SARL", "S.A.R.L.", "BV", "B.V.", "NV", "N.V.", "DAC",
        "Teoranta", "S.L.", "SL", "SRL", "S.R.L.", "Ltd, Inc",
    };
    char name[64];
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        snprintf(name, sizeof name, "Harper Timber %s", forms[i]);
        if (strcmp(norm(name), "harper timber") != 0)
            fprintf(stderr, "suffix %s: '%s'\n", forms[i], norm_buf);
        NORM(name, "harper timber");
    }
    /* only at the end; a name that is nothing but a suffix keeps it */
    NORM("Co-operative Bakery", "bakery co operative");
    NORM("Ltd", "ltd");
    NORM("Limited Editions Ltd", "editions limited");
}

static void test_accents_punctuation(void)
{
    NORM("M\xC3\xBCller & S\xC3\xB6hne GmbH", "muller sohne");
    NORM("Lef\xC3\xA8vre, Garc\xC3\xAD" "a & Co", "garcia lefevre");
    NORM("Stra\xC3\x9F" "e \xC3\x86gir \xC5\x81\xC3\xB3" "d\xC5\xBA", "aegir lodz strasse");
    NORM("O'Sullivan\xE2\x80\x99s Bar", "bar osullivans");
    NORM("  The \"Red Lion\"  Hardware!!", "hardware lion red");
    NORM("I.B.M. Consulting", "consulting ibm");
    NORM("Smith Bros Intl", "brothers international smith");
    NORM("", "");
    NORM(NULL, "");
    /* another script is kept, not dropped */
    NORM("\xE6\x9D\xB1\xE4\xBA\xAC Trading", "trading \xE6\x9D\xB1\xE4\xBA\xAC");
}

static void test_word_order(void)
{
    char a[WEIR_NAME_NORM_MAX];
    weir_name_norm("Harper & Whitfield Plumbing Ltd", a, sizeof a);
    NORM("Plumbing, Whitfield and Harper Limited", a);
    NORM("WHITFIELD HARPER PLUMBING", a);
}

static void test_fields(void)
{
    char a[64], b[64];
    weir_name_norm_phone("+44 20 7946 0123", a, sizeof a);
    weir_name_norm_phone("(020) 7946-0123", b, sizeof b);
    CU_ASSERT_STRING_EQUAL(a, "079460123");
    CU_ASSERT_STRING_EQUAL(a, b);
    CU_ASSERT_EQUAL(weir_name_norm_phone("ext. 12", a, sizeof a), 0);
    weir_name_norm_email(" <Accounts@Harper.CO.UK> ", a, sizeof a);
    CU_ASSERT_STRING_EQUAL(a, "accounts@harper.co.uk");
    CU_ASSERT_EQUAL(weir_name_norm_email("n/a", a, sizeof a), 0);
    weir_name_norm_text("ec1a 1bb", a, sizeof a);
    weir_name_norm_text("EC1A-1BB", b, sizeof b);
    CU_ASSERT_STRING_EQUAL(a, "ec1a1bb");
    CU_ASSERT_STRING_EQUAL(a, b);
}

static double jw(const char *a, const char *b)
{
    return weir_match_jaro_winkler(a, strlen(a), b, strlen(b));
}

static void test_similarity(void)
{
    CU_ASSERT_DOUBLE_EQUAL(jw("harper", "harper"), 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(jw("martha", "marhta"), 0.9611, 1e-4);
    CU_ASSERT_DOUBLE_EQUAL(jw("dixon", "dicksonx"), 0.8133, 1e-4);
    CU_ASSERT(jw("plumbing", "plumbnig") > 0.9);
    CU_ASSERT(jw("harper", "zzqx") < 0.5);
    CU_ASSERT_DOUBLE_EQUAL(jw("", "abc"), 0.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(jw("abc", "xyz"), 0.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(jw("harper", "whitfield"), jw("whitfield", "harper"),
                           1e-12);
}

static const weir_match_kind kinds[] = {WEIR_MATCH_PHONE, WEIR_MATCH_EMAIL,
                                        WEIR_MATCH_POSTCODE};

static weir_match_index *index_of(const char *const (*rows)[4], size_t n)
{
    weir_match_index *idx = weir_match_index_new(kinds, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(idx);
    for (size_t i = 0; i < n; i++) {
        char id[24];
        weir_match_entry e = {rows[i][0], {rows[i][1], rows[i][2], rows[i][3]}};
        snprintf(id, sizeof id, "C%03zu", i);
        CU_ASSERT_EQUAL(weir_match_index_add(idx, id, &e), (long)i);
    }
    CU_ASSERT_EQUAL_FATAL(weir_match_index_build(idx), 0);
    return idx;
}

static const char *const erp[][4] = {
    {"Harper & Whitfield Plumbing Ltd", "+44 20 7946 0123",
     "accounts@harper.co.uk", "EC1A 1BB"},
    {"Harper Timber Supplies Ltd", "+44 161 555 0101", "info@htimber.co.uk",
     "M1 1AA"},
    {"Northern Bakery Limited", "+44 113 555 0199", "", "LS1 4AP"},
    {"Northern Bakery Limited", "+44 191 555 0142", "orders@nb-tyne.co.uk",
     "NE1 7RU"},
    {"M\xC3\xBCller Werkzeuge GmbH & Co. KG", "+49 30 1234567",
     "info@mueller.de", "10115"},
    {"Okafor Logistics (Pty) Ltd", "", "ops@okafor.co.za", "2196"},
};

static void test_index_finds(void)
{
    weir_match_index *idx = index_of(erp, 6);
    weir_match_scratch *s = weir_match_scratch_new(idx);
    weir_match_hit h[3];
    weir_match_options o;
    weir_match_options_init(&o);

    /* a typo, a swapped word, another suffix: found, well above the rest */
    weir_match_entry q = {"Whitfeild and Harper Plumbing Limited", {0}};
    CU_ASSERT_EQUAL_FATAL(weir_match_index_query(idx, s, &q, &o, h), 1);
    CU_ASSERT_EQUAL(h[0].candidate, 0);
    CU_ASSERT_STRING_EQUAL(weir_match_index_id(idx, 0), "C000");
    CU_ASSERT(h[0].score > 0.9 && h[0].score <= 1.0);

    /* accents dropped, suffix dropped */
    weir_match_entry q2 = {"MULLER WERKZEUGE", {0}};
    CU_ASSERT_EQUAL_FATAL(weir_match_index_query(idx, s, &q2, &o, h), 1);
    CU_ASSERT_EQUAL(h[0].candidate, 4);
    CU_ASSERT_DOUBLE_EQUAL(h[0].score, 1.0, 1e-9);

    /* nothing alike: no suggestion, though candidates share a word */
    weir_match_entry q3 = {"Harper Quarry Explosives", {0}};
    CU_ASSERT_EQUAL(weir_match_index_query(idx, s, &q3, &o, h), 0);
    o.threshold = 0.0; /* the same query, every score shown */
    int n = weir_match_index_query(idx, s, &q3, &o, h);
    CU_ASSERT(n >= 2);
    for (int i = 0; i < n; i++)
        CU_ASSERT(h[i].score < 0.8);

    /* a one-word name with a typo, found through the one-edit table */
    o.threshold = 0.8;
    weir_match_entry q4 = {"Okafr Logistcs", {0}};
    CU_ASSERT_EQUAL_FATAL(weir_match_index_query(idx, s, &q4, &o, h), 1);
    CU_ASSERT_EQUAL(h[0].candidate, 5);
    weir_match_scratch_free(s);
    weir_match_index_free(idx);
}

static void test_evidence(void)
{
    weir_match_index *idx = index_of(erp, 6);
    weir_match_scratch *s = weir_match_scratch_new(idx);
    weir_match_hit h[3];

    /* namesakes: the phone (written another way) picks the right one */
    weir_match_entry q = {"Northern Bakery", {"0191 555 0142", "", ""}};
    CU_ASSERT_EQUAL_FATAL(weir_match_index_query(idx, s, &q, NULL, h), 2);
    CU_ASSERT_EQUAL(h[0].candidate, 3);
    CU_ASSERT_EQUAL(h[0].fields[0], WEIR_MATCH_AGREE);
    CU_ASSERT_EQUAL(h[1].candidate, 2);
    CU_ASSERT_EQUAL(h[1].fields[0], WEIR_MATCH_DIFFER);
    CU_ASSERT(h[0].score > h[1].score);
    CU_ASSERT_DOUBLE_EQUAL(h[0].name, h[1].name, 1e-12);

    /* the same name with every field different: below the threshold */
    weir_match_entry q2 = {"Northern Bakery Ltd",
                           {"+44 20 3000 0000", "x@y.example", "SW1A 1AA"}};
    CU_ASSERT_EQUAL(weir_match_index_query(idx, s, &q2, NULL, h), 0);

    /* agreement raises, a partial e-mail raises less, absence is neutral */
    weir_match_hit none, same, part;
    weir_match_entry a = {"Harper Whitfield", {NULL, NULL, NULL}};
    weir_match_entry b = {"Harper Whitfield", {NULL, "ACCOUNTS@harper.co.uk", NULL}};
    weir_match_entry c = {"Harper Whitfield", {NULL, "sales@harper.co.uk", NULL}};
    CU_ASSERT_EQUAL(weir_match_index_score(idx, &a, 0, &none), 0);
    CU_ASSERT_EQUAL(weir_match_index_score(idx, &b, 0, &same), 0);
    CU_ASSERT_EQUAL(weir_match_index_score(idx, &c, 0, &part), 0);
    CU_ASSERT_EQUAL(none.fields[1], WEIR_MATCH_ABSENT);
    CU_ASSERT_EQUAL(same.fields[1], WEIR_MATCH_AGREE);
    CU_ASSERT_EQUAL(part.fields[1], WEIR_MATCH_PARTIAL);
    CU_ASSERT(same.score > part.score);
    CU_ASSERT(part.score < none.score); /* half an agreement is below par */
    CU_ASSERT(same.score > none.score);

    /* the phone alone finds a candidate whose name is far off */
    weir_match_entry q3 = {"HWP", {"020 7946 0123", "", ""}};
    weir_match_options o;
    weir_match_options_init(&o);
    o.threshold = 0.0;
    CU_ASSERT_FATAL(weir_match_index_query(idx, s, &q3, &o, h) >= 1);
    CU_ASSERT_EQUAL(h[0].candidate, 0);
    weir_match_scratch_free(s);
    weir_match_index_free(idx);
}

/* ---- the index against a brute-force scan ------------------------------- */

static uint64_t rng = 88172645463325252ULL;

static unsigned next(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char *const words[] = {
    "harper", "whitfield", "okafor", "brennan", "dubois", "moreau",
    "schneider", "becker", "wagner", "rossi", "murphy", "walsh", "patel",
    "timber", "plumbing", "bakery", "motors", "garden", "centre", "textiles",
    "northern", "coastal", "premier", "golden", "sons", "and", "ltd", "gmbh",
};

static void random_name(char *out, size_t cap, int typo)
{
    size_t n = 1 + next(3), len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char w[32];
        snprintf(w, sizeof w, "%s", words[next(sizeof words / sizeof *words)]);
        if (typo && next(2)) { /* one substitution */
            size_t p = 1 + next((unsigned)strlen(w) - 1);
            w[p] = (char)('a' + next(26));
        }
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? " " : "", w);
    }
}

static int cmp_hits(const void *a, const void *b)
{
    const weir_match_hit *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->candidate < y->candidate ? -1 : x->candidate > y->candidate;
}

static void test_brute_force(void)
{
    enum { N = 300, Q = 150 };
    static char names[N][64], phones[N][24];
    weir_match_index *idx = weir_match_index_new(kinds, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(idx);
    for (size_t i = 0; i < N; i++) {
        weir_match_entry e = {names[i], {phones[i]}};
        random_name(names[i], sizeof names[i], 0);
        snprintf(phones[i], sizeof phones[i], "0161 555 %04u", next(60));
        CU_ASSERT_EQUAL(weir_match_index_add(idx, "x", &e), (long)i);
    }
    CU_ASSERT_EQUAL_FATAL(weir_match_index_build(idx), 0);
    weir_match_scratch *s = weir_match_scratch_new(idx);
    weir_match_options o;
    weir_match_options_init(&o);
    o.limit = 5;
    o.candidates = N; /* no cut: only the blocking can differ */
    o.threshold = 0.7;
    size_t found = 0;
    for (size_t k = 0; k < Q; k++) {
        char qn[64], qp[24];
        weir_match_hit got[5], all[N];
        size_t nall = 0;
        random_name(qn, sizeof qn, 1);
        snprintf(qp, sizeof qp, "+44 161 555 %04u", next(60));
        weir_match_entry q = {qn, {qp}};
        int n = weir_match_index_query(idx, s, &q, &o, got);
        CU_ASSERT_FATAL(n >= 0);
        for (size_t c = 0; c < N; c++) {
            weir_match_hit h;
            CU_ASSERT_EQUAL(weir_match_index_score(idx, &q, c, &h), 0);
            CU_ASSERT(h.score >= 0.0 && h.score <= 1.0);
            if (h.score >= o.threshold)
                all[nall++] = h;
        }
        qsort(all, nall, sizeof *all, cmp_hits);
        CU_ASSERT_EQUAL((size_t)n, nall < o.limit ? nall : o.limit);
        for (int i = 0; i < n && (size_t)i < nall; i++) {
            CU_ASSERT_EQUAL(got[i].candidate, all[i].candidate);
            CU_ASSERT_DOUBLE_EQUAL(got[i].score, all[i].score, 1e-12);
        }
        found += (size_t)n;
    }
    CU_ASSERT(found > Q); /* the comparison compared something */
    weir_match_scratch_free(s);
    weir_match_index_free(idx);
}

static void test_kind_guess(void)
{
    CU_ASSERT_EQUAL(weir_match_kind_guess("phone"), WEIR_MATCH_PHONE);
    CU_ASSERT_EQUAL(weir_match_kind_guess("Mobile_Phone"), WEIR_MATCH_PHONE);
    CU_ASSERT_EQUAL(weir_match_kind_guess("TEL"), WEIR_MATCH_PHONE);
    CU_ASSERT_EQUAL(weir_match_kind_guess("email"), WEIR_MATCH_EMAIL);
    CU_ASSERT_EQUAL(weir_match_kind_guess("e-mail"), WEIR_MATCH_EMAIL);
    CU_ASSERT_EQUAL(weir_match_kind_guess("billing_email"), WEIR_MATCH_EMAIL);
    CU_ASSERT_EQUAL(weir_match_kind_guess("postcode"), WEIR_MATCH_POSTCODE);
    CU_ASSERT_EQUAL(weir_match_kind_guess("postal_code"), WEIR_MATCH_POSTCODE);
    CU_ASSERT_EQUAL(weir_match_kind_guess("ZIP"), WEIR_MATCH_POSTCODE);
    CU_ASSERT_EQUAL(weir_match_kind_guess("vat_number"), WEIR_MATCH_TEXT);
    CU_ASSERT_EQUAL(weir_match_kind_guess("telex"), WEIR_MATCH_TEXT);
    CU_ASSERT_EQUAL(weir_match_kind_guess(NULL), WEIR_MATCH_TEXT);

    /* a text field agrees across case, accents and punctuation */
    weir_match_kind k = WEIR_MATCH_TEXT;
    weir_match_index *idx = weir_match_index_new(&k, 1);
    weir_match_entry e = {"Harper Ltd", {"GB-123 456 789"}};
    weir_match_entry q = {"Harper Ltd", {"gb123456789"}};
    weir_match_entry q2 = {"Harper Ltd", {"gb999"}};
    weir_match_hit h;
    CU_ASSERT_EQUAL(weir_match_index_add(idx, "C1", &e), 0);
    CU_ASSERT_EQUAL(weir_match_index_build(idx), 0);
    CU_ASSERT_EQUAL(weir_match_index_score(idx, &q, 0, &h), 0);
    CU_ASSERT_EQUAL(h.fields[0], WEIR_MATCH_AGREE);
    CU_ASSERT_DOUBLE_EQUAL(h.score, 1.0, 1e-12);
    CU_ASSERT_EQUAL(weir_match_index_score(idx, &q2, 0, &h), 0);
    CU_ASSERT_EQUAL(h.fields[0], WEIR_MATCH_DIFFER);
    CU_ASSERT_DOUBLE_EQUAL(h.score, 2.0 / 2.25, 1e-12); /* half weight */
    weir_match_index_free(idx);
}

static void test_lifecycle(void)
{
    weir_match_kind many[WEIR_MATCH_MAX_FIELDS + 1] = {0};
    CU_ASSERT_PTR_NULL(weir_match_index_new(many, WEIR_MATCH_MAX_FIELDS + 1));
    weir_match_index *idx = weir_match_index_new(NULL, 0);
    weir_match_entry e = {"Harper Ltd", {0}};
    CU_ASSERT_EQUAL(weir_match_index_build(idx), 0); /* empty is fine */
    CU_ASSERT_EQUAL(weir_match_index_add(idx, "C1", &e), -1); /* frozen */
    weir_match_scratch *s = weir_match_scratch_new(idx);
    weir_match_hit h[3];
    CU_ASSERT_EQUAL(weir_match_index_query(idx, s, &e, NULL, h), 0);
    weir_match_scratch_free(s);
    weir_match_index_free(idx);
}

void register_tests(void)
{
    CU_pSuite s = CU_add_suite("match", NULL, NULL);
    CU_add_test(s, "legal suffixes", test_suffixes);
    CU_add_test(s, "accents and punctuation", test_accents_punctuation);
    CU_add_test(s, "word order", test_word_order);
    CU_add_test(s, "phone, e-mail, postcode", test_fields);
    CU_add_test(s, "Jaro-Winkler", test_similarity);
    CU_add_test(s, "the index finds the counterpart", test_index_finds);
    CU_add_test(s, "evidence", test_evidence);
    CU_add_test(s, "index = brute force", test_brute_force);
    CU_add_test(s, "field kinds, text fields", test_kind_guess);
    CU_add_test(s, "life cycle", test_lifecycle);
}

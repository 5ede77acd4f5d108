/* Each test program defines register_tests() and adds its suites there:
 *   CU_pSuite s = CU_add_suite("csv source", NULL, NULL);
 *   CU_add_test(s, "quoted fields", test_quoted);
 */
#ifndef WEIR_CUNIT_MAIN_H
#define WEIR_CUNIT_MAIN_H
void register_tests(void);
#endif

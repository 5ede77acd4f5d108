/* The suites of tests/test_core, one registration function per module. */
#ifndef WEIR_CORE_TESTS_H
#define WEIR_CORE_TESTS_H
void register_core_unit_tests(void);
void register_pipeline_xml_tests(void);
void register_loader_tests(void);
void register_state_tests(void);
void register_track_tests(void);
void register_text_tests(void);
void register_storage_tests(void);
void register_delivery_unit_tests(void);
void register_cron_tests(void);
#endif

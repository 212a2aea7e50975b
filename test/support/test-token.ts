/** The organisation admin's token in every test plane and test server (given as TESSERA_BOOTSTRAP_TOKEN). */
export const TEST_ADMIN_TOKEN = `tsr_${'test-admin-token-'.repeat(3)}`;

/*
 * rules_purity: links every object of core/rules with libc alone (see
 * CMakeLists.txt).  It builds only while the rules stay pure; it is never
 * run.
 */
int main(void)
{
	return 0;
}

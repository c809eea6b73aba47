/* The detached container's monitor: filled in with issue 4. */
int main(void) { return 1; }

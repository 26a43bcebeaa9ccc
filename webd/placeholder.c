/* placeholder.c: keeps webd_lib non-empty until webd's modules land. */
int webd_placeholder(void);
int webd_placeholder(void) { return 0; }

/* Prints the kernel set OpenBLAS chose for this CPU (openblas_get_corename), so the loader can
 * tell when OpenBLAS fell back to a generic one and set OPENBLAS_CORETYPE before loading it. */
#include <stdio.h>
char *openblas_get_corename(void);
int main(void) {
  puts(openblas_get_corename());
  return 0;
}

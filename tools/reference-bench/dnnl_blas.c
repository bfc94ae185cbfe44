/* BLAS sgemm_/sgemv_ routed to oneDNN's dnnl_sgemm (row-major), LD_PRELOADed under Debian's PyTorch,
   whose libblas.so.3 is the unoptimised reference BLAS. Column-major C = op(A) op(B) is row-major C^T = op(B)^T op(A)^T. */
#include <stdint.h>
typedef int64_t dnnl_dim_t;
extern int dnnl_sgemm(char transa, char transb, dnnl_dim_t M, dnnl_dim_t N, dnnl_dim_t K, float alpha,
                      const float *A, dnnl_dim_t lda, const float *B, dnnl_dim_t ldb, float beta, float *C, dnnl_dim_t ldc);
static char up(char c) { return (c == 'n' || c == 'N') ? 'N' : 'T'; }
void sgemm_(const char *ta, const char *tb, const int *m, const int *n, const int *k, const float *alpha,
            const float *a, const int *lda, const float *b, const int *ldb, const float *beta, float *c, const int *ldc)
{
    dnnl_sgemm(up(*tb), up(*ta), *n, *m, *k, *alpha, b, *ldb, a, *lda, *beta, c, *ldc);
}
/* y = alpha op(A) x + beta y, A column-major m x n, any positive strides: the gemm y^T = x^T op(A)^T, where x^T and
   y^T are one-row column-major matrices whose leading dimensions are the strides. */
void sgemv_(const char *t, const int *m, const int *n, const float *alpha, const float *a, const int *lda,
            const float *x, const int *incx, const float *beta, float *y, const int *incy)
{
    int rows = up(*t) == 'N' ? *m : *n, inner = up(*t) == 'N' ? *n : *m, one = 1;
    sgemm_("N", up(*t) == 'N' ? "T" : "N", &one, &rows, &inner, alpha, x, incx, a, lda, beta, y, incy);
}

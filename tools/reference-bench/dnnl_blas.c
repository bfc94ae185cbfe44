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
/* y = alpha op(A) x + beta y, A column-major m x n: as a gemm with one column (unit strides only, as PyTorch calls it). */
void sgemv_(const char *t, const int *m, const int *n, const float *alpha, const float *a, const int *lda,
            const float *x, const int *incx, const float *beta, float *y, const int *incy)
{
    int rows = up(*t) == 'N' ? *m : *n, inner = up(*t) == 'N' ? *n : *m;
    if (*incx != 1 || *incy != 1) { /* not used by these models; keep it correct anyway */
        for (int i = 0; i < rows; i++) {
            float s = 0;
            for (int j = 0; j < inner; j++)
                s += (up(*t) == 'N' ? a[i + (int64_t)j * *lda] : a[j + (int64_t)i * *lda]) * x[(int64_t)j * *incx];
            y[(int64_t)i * *incy] = *alpha * s + (*beta == 0 ? 0 : *beta * y[(int64_t)i * *incy]);
        }
        return;
    }
    /* column-major y(rows x 1) = op(A)(rows x inner) x(inner x 1) */
    int one = 1;
    sgemm_(t, "N", &rows, &one, &inner, alpha, a, lda, x, &inner, beta, y, &rows);
}

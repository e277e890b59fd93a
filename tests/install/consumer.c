/* consumer.c - a program that uses the installed vconv: one 3x3 conv
   checked against a hand-computed value. */
#include <vconv.h>

#include <stdio.h>

int main(void)
{
    /* 1 channel 3x3 input of ones, one 3x3 filter of twos, bias 1: 19 */
    float src[9], w[9], b = 1.0f, dst[1];
    for (int i = 0; i < 9; i++) {
        src[i] = 1.0f;
        w[i] = 2.0f;
    }
    vconv_conv_desc d = {.batch = 1, .in_channels = 1, .in_h = 3, .in_w = 3,
                         .out_channels = 1, .kernel_h = 3, .kernel_w = 3};
    vconv_conv *c;
    if (vconv_conv_create(&d, w, &b, NULL, &c) != VCONV_OK) {
        fprintf(stderr, "create: %s\n", vconv_last_error());
        return 1;
    }
    if (vconv_conv_run(c, src, dst) != VCONV_OK || dst[0] != 19.0f) {
        fprintf(stderr, "run: %g (%s)\n", dst[0], vconv_last_error());
        return 1;
    }
    printf("consumer: %s gave %g\n", vconv_conv_impl_name(c), dst[0]);
    vconv_conv_destroy(c);
    return 0;
}

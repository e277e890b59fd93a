/* commands.h - the subcommands of vconv-bench. Each returns the process
   exit status: 0 success, 1 failure, 2 bad usage. */
#ifndef VCONV_BENCH_COMMANDS_H
#define VCONV_BENCH_COMMANDS_H

#ifdef __cplusplus
extern "C" {
#endif

int cmd_summary(int argc, char **argv);
int cmd_shapes(int argc, char **argv);
int cmd_cpu(int argc, char **argv);
int cmd_select(int argc, char **argv);
int cmd_peak(int argc, char **argv);
int cmd_conv(int argc, char **argv);
/* cmd_conv with --dtype int8|bf16 (cmd_conv_lowp.c) */
int cmd_conv_lowp(int argc, char **argv);
int cmd_gemm(int argc, char **argv);
int cmd_net(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif

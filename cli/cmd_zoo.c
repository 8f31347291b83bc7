/* wattprof zoo: write a standard architecture as ONNX. */
#include <getopt.h>
#include <stdio.h>

#include "args.h"
#include "commands.h"
#include "wattprof/atomic_file.h"
#include "wattprof/zoo.h"

static void usage(FILE *fp)
{
    fprintf(fp, "usage: wattprof zoo --arch NAME --out FILE.onnx [--input NxCxHxW]\n"
                "\n"
                "Writes a standard network with deterministic random weights as ONNX (IR 8,\n"
                "opset 13), so a real-sized network can be profiled without downloads.\n"
                "\n"
                "  --arch NAME      lenet, alexnet, vgg11, vgg16, resnet18, resnet50,\n"
                "                   mobilenetv2, squeezenet; small edge networks: cifarnet,\n"
                "                   dscnn, mlp, and MLPerf Tiny's resnet8, vww, autoencoder\n"
                "  --out FILE       the .onnx file to write (atomically)\n"
                "  --input NxCxHxW  input shape (default 1x3x224x224 for the ImageNet ones;\n"
                "                   1x1x28x28 lenet, mlp; 1x3x32x32 cifarnet, resnet8;\n"
                "                   1x1x49x10 dscnn; 1x3x96x96 vww; 1x1x1x640 autoencoder);\n"
                "                   dense layers size to it\n"
                "  --list           print the architecture names and exit\n"
                "  --help           this text\n");
}

int cmd_zoo(int argc, char **argv)
{
    static const struct option opts[] = {{"arch", required_argument, 0, 'a'},  {"out", required_argument, 0, 'o'},
                                         {"input", required_argument, 0, 'i'}, {"list", no_argument, 0, 'l'},
                                         {"help", no_argument, 0, 'h'},        {0, 0, 0, 0}};
    const char *arch = NULL, *out = NULL, *input = NULL;
    int c;
    optind = 1;
    while ((c = cli_getopt("zoo", argc, argv, "", opts)) != -1) {
        switch (c) {
        case 'a': arch = optarg; break;
        case 'o': out = optarg; break;
        case 'i': input = optarg; break;
        case 'l':
            for (const char *const *n = wp_zoo_names(); *n; n++)
                printf("%s\n", *n);
            return 0;
        case 'h': usage(stdout); return 0;
        default: return 2; /* CLI_OPT_BAD: cli_getopt said why */
        }
    }
    if (cli_no_operands("zoo", argc, argv))
        return 2;
    if (!arch || !out)
        return cli_usage_error("zoo", "--arch and --out are required");
    wp_error err = {0};
    wp_dims dims, *dp = NULL;
    if (input) {
        if (wp_dims_parse(input, &dims, &err))
            return cli_usage_error("zoo", "--input: %s", err.msg);
        dp = &dims;
    }
    if (wp_zoo_write(arch, dp, out, &err))
        return cli_fail("zoo", &err);
    return 0;
}

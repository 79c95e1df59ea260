// SPDX-License-Identifier: GPL-2.0
/*
 * pagemap: which pages a process maps, and which it shares with others.
 *
 * Reads the page maps of the pagemap module (/proc/pagemap/<pid>, format
 * described in include/pagemap_format.h) or the kernel's own
 * /proc/<pid>/pagemap, through one reader interface, and only over the
 * ranges /proc/<pid>/maps lists. See pagemap.1 for the subcommands.
 */
#include "pagemap.h"

struct pm_opts opt;

#ifdef PMAP_NO_LIBELF
#define SECTIONS_HOW	"(not in this build: no libelf)"
#else
#define SECTIONS_HOW	"(libelf)"
#endif

/* ---- command line ------------------------------------------------------- */

static int cmd_help(int argc, char **argv);

static const struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;
	const char *help;
} subcommands[] = {
	{ "maps", cmd_maps, "PID",
	  "each mapping with its present pages and frame runs" },
	{ "share", cmd_share, "PID1 PID2",
	  "the frames both processes map, in total and per pair of mappings" },
	{ "pss", cmd_pss, "[PID...]",
	  "Rss, Pss and Uss from frame counts over every readable process" },
	{ "files", cmd_files, "[PID...]",
	  "per mapped file: frames, processes, Pss and Rss (--pid PID)" },
	{ "who", cmd_who, "PFN...",
	  "every process and address mapping the frames (or --range A-B)" },
	{ "dump", cmd_dump, "--file FILE",
	  "decode a captured map (any byte order, entry size, page size)" },
	{ "capture", cmd_capture, "PID FILE",
	  "save a process's map in the module's format, for dump" },
	{ "capture", cmd_capture, "--all FILE",
	  "save every readable process's maps and page map, for --file" },
	{ "help", cmd_help, "", "this text" },
};

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "source", required_argument, NULL, 's' },
	{ "file", required_argument, NULL, 'f' },
	{ "no-frames", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "sort", required_argument, NULL, 'S' },
	{ "reverse", no_argument, NULL, 'r' },
	{ "total", no_argument, NULL, 't' },
	{ "bytes", no_argument, NULL, 'b' },
	{ "name", required_argument, NULL, 'N' },
	{ "user", required_argument, NULL, 'u' },
	{ "csv", no_argument, NULL, 'c' },
	{ "by", required_argument, NULL, 'B' },
	{ "format", required_argument, NULL, 'F' },
	{ "range", required_argument, NULL, 'R' },
	{ "pid", required_argument, NULL, 'P' },
	{ "sections", no_argument, NULL, 'E' },
	{ "all", no_argument, NULL, 'A' },
	{ NULL, 0, NULL, 0 }
};

static void print_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: pagemap [OPTIONS] COMMAND [ARGS]\n\nCommands:\n");
	for (i = 0; i < ARRAY_SIZE(subcommands); i++) {
		char head[40];

		snprintf(head, sizeof(head), "%s %s", subcommands[i].name,
			 subcommands[i].args);
		fprintf(f, "  %-22s %s\n", head, subcommands[i].help);
	}
	fprintf(f, "\nOptions (before or after the command):\n"
		"  -j, --json             machine-readable output with stable keys\n"
		"  -s, --source SOURCE    module (" PMAP_MOUNT "/PID), kernel (/proc/PID/pagemap)\n"
		"                         or auto (default: module when mounted)\n"
		"  -f, --file FILE        dump: the captured map; pss, share, files, who: the\n"
		"                         capture --all to read instead of this system\n"
		"  -n, --no-frames        maps, dump: leave out the frame runs\n"
		"\npss:\n"
		"      --sort KEY         pid, name, rss, pss, uss or swap (sizes largest first)\n"
		"      --reverse          the other way round\n"
		"      --total            a TOTAL line (JSON: {\"processes\": [...], \"total\": {...}})\n"
		"  -k, -m, --bytes        sizes as plain numbers of KiB, MiB or bytes\n"
		"      --name REGEX       only processes whose comm matches (extended regex)\n"
		"      --user USER        only processes whose effective user is USER\n"
		"      --csv              comma-separated values, sizes in KiB\n"
		"      --by GROUP         per user, name, cgroup or tree (the subtree below init)\n"
		"      --format FORMAT    text, json, csv or prometheus (text exposition, bytes)\n"
		"\nfiles:\n"
		"      --sort KEY         path, frames, processes, pss (default), rss or size\n"
		"      --reverse          the other way round\n"
		"      --pid PID          the files PID maps, with its own Pss and Rss of each\n"
		"      --sections         an ELF file's frames by section " SECTIONS_HOW "\n"
		"\nwho:\n"
		"      --range FIRST-LAST the frames FIRST to LAST (0x for hexadecimal)\n"
		"\n"
		"  -h, --help             this text\n"
		"  -V, --version          the version\n"
		"\nExit status: 0 success, 1 failure (bad pid, no such process,\n"
		"permission denied, hidden frame numbers), 2 usage error\n");
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	print_usage(stdout);
	return EXIT_OK;
}

/* Parses options; returns -1 to go on, or an exit status. */
static int parse_opts(int argc, char **argv, const char *stop)
{
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, stop, long_opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			opt.json = true;
			break;
		case 'n':
			opt.no_frames = true;
			break;
		case 'f':
			opt.file = optarg;
			break;
		case 'S':
			opt.sort = optarg;
			break;
		case 'r':
			opt.reverse = true;
			break;
		case 't':
			opt.total = true;
			break;
		case 'k':
		case 'm':
		case 'b':
			opt.unit = c;
			break;
		case 'N':
			opt.name = optarg;
			break;
		case 'u':
			opt.user = optarg;
			break;
		case 'c':
			opt.csv = true;
			break;
		case 'B':
			opt.by = optarg;
			break;
		case 'F':
			opt.format = optarg;
			break;
		case 'R':
			opt.range = optarg;
			break;
		case 'P':
			opt.pid = optarg;
			break;
		case 'E':
			opt.sections = true;
			break;
		case 'A':
			opt.all = true;
			break;
		case 's':
			if (!strcmp(optarg, "module")) {
				opt.source = SRC_MODULE;
			} else if (!strcmp(optarg, "kernel")) {
				opt.source = SRC_KERNEL;
			} else if (!strcmp(optarg, "auto")) {
				opt.source = SRC_AUTO;
			} else {
				pm_err("--source takes module, kernel or auto, not '%s'",
				       optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			print_usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("pagemap %s\n", PMAP_VERSION);
			return EXIT_OK;
		default:
			fprintf(stderr, "Try 'pagemap --help'.\n");
			return EXIT_USAGE;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	const struct subcommand *sc = NULL;
	size_t i;
	int ret;

	/*
	 * Keep freed memory for the next process's buffers: each mmap() and
	 * munmap() of a large allocation costs more than what it holds.
	 */
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	ret = parse_opts(argc, argv, "+js:f:nhVkm");
	if (ret >= 0)
		return ret;
	if (optind >= argc) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < ARRAY_SIZE(subcommands); i++)
		if (!strcmp(argv[optind], subcommands[i].name))
			sc = &subcommands[i];
	if (!sc) {
		pm_err("unknown command '%s' (see pagemap --help)", argv[optind]);
		return EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	/* The command's own options and operands, in any order. */
	ret = parse_opts(argc, argv, "js:f:nhVkm");
	if (ret >= 0)
		return ret;
	if (sc->fn != cmd_pss && (opt.total || opt.unit || opt.name ||
				  opt.user || opt.csv || opt.by || opt.format ||
				  (sc->fn != cmd_files && (opt.sort || opt.reverse)))) {
		pm_err("%s: --sort, --reverse, --total, -k, -m, --bytes, --name, --user, --csv, --by and --format are options of pss%s",
		       sc->name, sc->fn == cmd_files ? " (files takes --sort and --reverse)" : "");
		return EXIT_USAGE;
	}
	if (opt.all && sc->fn != cmd_capture) {
		pm_err("%s: --all is an option of capture", sc->name);
		return EXIT_USAGE;
	}
	if (opt.file && sc->fn != cmd_dump) {
		if (sc->fn != cmd_pss && sc->fn != cmd_share &&
		    sc->fn != cmd_files && sc->fn != cmd_who) {
			pm_err("%s: --file is for dump, and a capture --all for pss, share, files and who",
			       sc->name);
			return EXIT_USAGE;
		}
		cap_active = true;
		if (cap_load())
			return EXIT_FAIL;
	}
	if (sc->fn != cmd_files && (opt.pid || opt.sections)) {
		pm_err("%s: --pid and --sections are options of files", sc->name);
		return EXIT_USAGE;
	}
	if (sc->fn != cmd_who && opt.range) {
		pm_err("%s: --range is an option of who", sc->name);
		return EXIT_USAGE;
	}
	return sc->fn(argc - optind, argv + optind);
}

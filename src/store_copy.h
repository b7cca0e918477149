/* store_copy: `liftd copy SRC DST`, the copy of one store into another (settings, experiments,
 * exposures, events), run by liftd's binary because the stores are the server's: no other
 * program opens them. It starts no server and never writes SRC. */
#ifndef LIFT_STORE_COPY_H
#define LIFT_STORE_COPY_H

/* Runs the copy for a command line whose argv[0] is "copy": `copy SRC DST [--batch N] [--json]
 * [--help]`. Prints a progress bar on stderr when it is a terminal and the summary on stdout.
 * Returns the process exit status: 0 copied (or nothing new), 1 an error or conflicts, 2 a
 * usage error. Single-threaded; call before anything else of liftd's runs. */
int store_copy_main(int argc, char **argv);

#endif

/**
 * JMH microbenchmarks of the data path's hot pieces. Run from the command line (see
 * {@code bench/README.md}); the build compiles them and never runs them. Not a bundle.
 */
package dev.netstack.bench;

/**
 * Training and test input: LIBSVM and IDX files, plain or gzipped, and LIBSVM shards read in
 * parallel ({@link org.lbfgsbeam.pipelines.data.DataFiles}); {@code generate}'s synthetic sets.
 */
package org.lbfgsbeam.pipelines.data;

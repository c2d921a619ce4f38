package org.lbfgsbeam.pipelines.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A run's {@code trace.csv} as columns of numbers, looked up by the header's names: what
 * {@code compare}, {@code autoencoder} and {@code bench} read back from the runs they forked. An
 * empty field or one that is not a number reads as NaN; a row with another number of fields than
 * the header is an error naming the file and line.
 *
 * @param file where it was read from
 * @param header the column names, in order
 * @param rows the data rows (blank lines skipped), each as long as the header
 */
record TraceCsv(Path file, List<String> header, List<double[]> rows) {

  static TraceCsv read(Path file) throws IOException {
    return parse(file, Files.readAllLines(file, StandardCharsets.UTF_8));
  }

  /** The trace in {@code lines} (the header first), as {@link #read} reads it from {@code file}. */
  static TraceCsv parse(Path file, List<String> lines) throws IOException {
    if (lines.isEmpty()) {
      throw new IOException(file + ": empty, not a trace");
    }
    List<String> header = Arrays.asList(lines.get(0).strip().split(",", -1));
    List<double[]> rows = new ArrayList<>();
    for (int l = 1; l < lines.size(); l++) {
      String line = lines.get(l).strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split(",", -1);
      if (f.length != header.size()) {
        throw new IOException(file + " line " + (l + 1) + ": " + f.length
            + " fields, but the header has " + header.size());
      }
      double[] row = new double[f.length];
      for (int c = 0; c < f.length; c++) {
        row[c] = number(f[c]);
      }
      rows.add(row);
    }
    return new TraceCsv(file, List.copyOf(header), List.copyOf(rows));
  }

  boolean has(String name) {
    return header.contains(name);
  }

  /** The column {@code name}, a value per row. */
  double[] column(String name) throws IOException {
    int c = header.indexOf(name);
    if (c < 0) {
      throw new IOException(file + ": no column " + name + " (header " + String.join(",", header)
          + ")");
    }
    double[] out = new double[rows.size()];
    for (int r = 0; r < out.length; r++) {
      out[r] = rows.get(r)[c];
    }
    return out;
  }

  private static double number(String field) {
    try {
      return field.isEmpty() ? Double.NaN : Double.parseDouble(field);
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }
}

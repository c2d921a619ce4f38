package org.lbfgsbeam.pipelines.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/** Small IDX image sets for tests: each class a bright 2-pixel-wide stripe, plus noise. */
public final class IdxFixtures {
  public static final int ROWS = 4;
  public static final int COLS = 5;

  private IdxFixtures() {}

  /** The pixels of {@code n} images and their labels (classes {@code labels}). */
  public record Set(byte[][] images, byte[] labels) {}

  public static Set stripes(int n, int[] labels, long seed) {
    Random r = new Random(seed);
    byte[][] images = new byte[n][ROWS * COLS];
    byte[] out = new byte[n];
    for (int i = 0; i < n; i++) {
      int c = r.nextInt(labels.length);
      out[i] = (byte) labels[c];
      for (int p = 0; p < ROWS * COLS; p++) {
        int col = p % COLS;
        boolean stripe = col == c || col == c + 1;
        int v = stripe ? 150 + r.nextInt(106) : (r.nextInt(3) == 0 ? r.nextInt(120) : 0);
        images[i][p] = (byte) v;
      }
    }
    return new Set(images, out);
  }

  /** Writes {@code set} as NAME-images-idx3-ubyte[.gz] and NAME-labels-idx1-ubyte[.gz] in dir. */
  public static Path write(Path dir, String name, Set set, boolean gzip) throws IOException {
    String suffix = gzip ? ".gz" : "";
    Path images = dir.resolve(name + "-images-idx3-ubyte" + suffix);
    ByteBuffer b = ByteBuffer.allocate(16 + set.images().length * ROWS * COLS);
    b.putInt(0x803).putInt(set.images().length).putInt(ROWS).putInt(COLS);
    for (byte[] image : set.images()) {
      b.put(image);
    }
    Files.write(images, gzip ? gzip(b.array()) : b.array());
    ByteBuffer l = ByteBuffer.allocate(8 + set.labels().length);
    l.putInt(0x801).putInt(set.labels().length).put(set.labels());
    Files.write(dir.resolve(name + "-labels-idx1-ubyte" + suffix),
        gzip ? gzip(l.array()) : l.array());
    return images;
  }

  public static byte[] gzip(byte[] content) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(bytes)) {
      out.write(content);
    }
    return bytes.toByteArray();
  }
}

package dev.caravan.app;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * An image as {@code jib:buildTar} writes it (the {@code docker load} layout): {@code manifest.json}, the config and
 * the gzipped layer tars, read in one pass without keeping the layers' bytes. Only what Jib writes is read: ustar
 * headers, with PAX headers for long names.
 *
 * @param files  the small files of the tar (manifest, config) by name
 * @param layers the entries of each gzipped layer, by the layer's file name in the tar
 */
record ImageTar(Map<String, byte[]> files, Map<String, List<Entry>> layers) {

    /** A file or directory in a layer, with its mode and modification time (seconds since the epoch). */
    record Entry(String name, int mode, long mtime, boolean directory) {
    }

    private static final int BLOCK = 512;

    static ImageTar read(Path tar) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        Map<String, List<Entry>> layers = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(tar)) {
            forEach(in, (header, body) -> {
                if (header.name().endsWith(".tar.gz")) {
                    List<Entry> entries = new ArrayList<>();
                    forEach(new GZIPInputStream(body), (inner, content) -> entries.add(inner));
                    layers.put(header.name(), entries);
                } else {
                    files.put(header.name(), body.readAllBytes());
                }
            });
        }
        return new ImageTar(files, layers);
    }

    private interface EntryVisitor {
        void visit(Entry header, InputStream body) throws IOException;
    }

    /** Calls the visitor for each file and directory of a tar stream; the body stream ends with the entry. */
    private static void forEach(InputStream in, EntryVisitor visitor) throws IOException {
        String longName = null;
        while (true) {
            byte[] h = in.readNBytes(BLOCK);
            if (h.length < BLOCK || isZero(h)) {
                return;
            }
            long size = octal(h, 124, 12);
            char type = (char) h[156];
            Bounded body = new Bounded(in, size);
            if (type == 'x') {
                longName = paxPath(body.readAllBytes(), longName);
            } else if (type == 'g') {
                body.readAllBytes();
            } else {
                String name = longName != null ? longName : name(h);
                longName = null;
                visitor.visit(new Entry(name, (int) octal(h, 100, 8), octal(h, 136, 12), type == '5'), body);
                body.skipRest();
            }
            long padding = (BLOCK - size % BLOCK) % BLOCK;
            in.skipNBytes(padding);
        }
    }

    private static String name(byte[] h) {
        String name = text(h, 0, 100);
        String prefix = h[257] == 'u' ? text(h, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    /** The {@code path} record of a PAX extended header ({@code "LEN path=VALUE\n"} records), if there is one. */
    private static String paxPath(byte[] pax, String otherwise) {
        String path = otherwise;
        int at = 0;
        while (at < pax.length) {
            int space = indexOf(pax, (byte) ' ', at);
            int length = Integer.parseInt(new String(pax, at, space - at, StandardCharsets.US_ASCII));
            String record = new String(pax, space + 1, length - (space - at) - 2, StandardCharsets.UTF_8);
            if (record.startsWith("path=")) {
                path = record.substring("path=".length());
            }
            at += length;
        }
        return path;
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        throw new IllegalArgumentException("malformed PAX header");
    }

    private static String text(byte[] h, int offset, int length) {
        int end = offset;
        while (end < offset + length && h[end] != 0) {
            end++;
        }
        return new String(h, offset, end - offset, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] h, int offset, int length) {
        String digits = text(h, offset, length).trim();
        return digits.isEmpty() ? 0 : Long.parseLong(digits, 8);
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /** The body of one entry: reads stop at its size, and closing it leaves the tar stream open. */
    private static final class Bounded extends InputStream {
        private final InputStream in;
        private long left;

        Bounded(InputStream in, long size) {
            this.in = in;
            this.left = size;
        }

        @Override
        public int read() throws IOException {
            if (left == 0) {
                return -1;
            }
            int b = in.read();
            if (b < 0) {
                throw new EOFException("tar entry cut short");
            }
            left--;
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            if (left == 0) {
                return -1;
            }
            int n = in.read(buffer, offset, (int) Math.min(length, left));
            if (n < 0) {
                throw new EOFException("tar entry cut short");
            }
            left -= n;
            return n;
        }

        void skipRest() throws IOException {
            in.skipNBytes(left);
            left = 0;
        }

        @Override
        public void close() {
            // the tar stream goes on after this entry
        }
    }
}

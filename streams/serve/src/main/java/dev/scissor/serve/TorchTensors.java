package dev.scissor.serve;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Writes a float32, float16 or bfloat16 tensor in PyTorch's {@code torch.save} format, which vLLM's {@code image_embeds}
 * content parts carry (base64 of the bytes; the server reads them with {@code torch.load(...,
 * weights_only=True)}).
 *
 * <p>The format is a ZIP archive of stored (uncompressed) records, written the way PyTorch's
 * {@code PyTorchStreamWriter} (miniz) writes it: each local header has general-purpose flags
 * {@code 0x0808} (data descriptor, UTF-8 names), zero time, date, CRC and sizes, and an extra field
 * {@code "FB" <u16 n> 'Z'*n} that pads the record's data to a 64-byte boundary; each record is
 * followed by a data descriptor {@code PK\7\8 crc csize usize}; then the central directory, a ZIP64
 * end record and locator, and the end record. The records are, in this order:
 * <ol>
 *   <li>{@code archive/data.pkl}: a protocol-2 pickle of {@code
 *       torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())}, where
 *       {@code storage} is the persistent id {@code ('storage', torch.FloatStorage, '0', 'cpu',
 *       numel)} ({@code HalfStorage}, {@code BFloat16Storage} for the other types);
 *   <li>{@code archive/data/0}: the storage, little-endian float32, row-major (contiguous);
 *   <li>{@code archive/version}: {@code "3\n"}.
 * </ol>
 * For a contiguous CPU float32 tensor this is byte for byte what {@code torch.save(t, buffer)} of
 * PyTorch 1.13 writes (PyTorch 2.x adds {@code byteorder}, {@code .format_version},
 * {@code .storage_alignment} and {@code .data/serialization_id} records, which its reader does not
 * require); every PyTorch from 1.6 loads it, with or without {@code weights_only}.
 */
public final class TorchTensors {

    private static final int ALIGNMENT = 64;
    private static final String ARCHIVE = "archive/";

    private TorchTensors() {}

    /**
     * Serializes a contiguous float32 tensor.
     *
     * @param data the values, row-major; read from its position to its limit (the buffer is not moved)
     * @param shape the shape (1 to 3 dimensions); the product must equal the number of values
     * @return the {@code torch.save} bytes
     * @throws IllegalArgumentException when the shape does not fit the data
     */
    public static byte[] save(final FloatBuffer data, final long... shape) {
        if (data.remaining() * (long) Float.BYTES > Integer.MAX_VALUE - 4096) {
            throw new IllegalArgumentException("tensor too large for one record: " + data.remaining() + " elements");
        }
        final ByteBuffer storage =
                ByteBuffer.allocate(data.remaining() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        storage.asFloatBuffer().put(data.duplicate());
        return save(storage, "FloatStorage", shape);
    }

    /**
     * Serializes a contiguous tensor from its little-endian storage bytes.
     *
     * @param storage the elements, little-endian, row-major: the whole buffer from 0 to its capacity,
     *     a heap buffer
     * @param storageClass the storage type in {@code torch}: {@code FloatStorage}, {@code HalfStorage}
     *     or {@code BFloat16Storage}
     * @param shape the shape (1 to 3 dimensions); the product must equal the number of elements
     * @return the {@code torch.save} bytes
     * @throws IllegalArgumentException when the shape does not fit the storage or the type is unknown
     */
    public static byte[] save(final ByteBuffer storage, final String storageClass, final long... shape) {
        final int elementBytes = switch (storageClass) {
            case "FloatStorage" -> 4;
            case "HalfStorage", "BFloat16Storage" -> 2;
            default -> throw new IllegalArgumentException("unsupported storage type " + storageClass);
        };
        if (shape.length < 1 || shape.length > 3) {
            throw new IllegalArgumentException("tensors of 1 to 3 dimensions are supported, got " + shape.length);
        }
        long numel = 1;
        for (final long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + java.util.Arrays.toString(shape));
            }
            numel *= d;
        }
        if (numel * elementBytes != storage.capacity()) {
            throw new IllegalArgumentException("shape " + java.util.Arrays.toString(shape) + " has " + numel
                    + " elements but the storage has " + storage.capacity() / elementBytes);
        }
        final long[] stride = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            stride[i] = s;
            s *= shape[i];
        }
        final ZipWriter zip = new ZipWriter();
        zip.add(ARCHIVE + "data.pkl", pickle(storageClass, numel, shape, stride));
        zip.add(ARCHIVE + "data/0", storage.array());
        zip.add(ARCHIVE + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
        return zip.finish();
    }

    /** The pickle PyTorch's {@code torch.save} writes for a contiguous CPU tensor (protocol 2). */
    static byte[] pickle(final String storageClass, final long numel, final long[] shape, final long[] stride) {
        final Pickle p = new Pickle();
        p.op(0x80).op(2); // PROTO 2
        p.global("torch._utils", "_rebuild_tensor_v2").put(); // memo 0
        p.op('('); // MARK: the call's arguments
        p.op('('); // MARK: the persistent id
        p.unicode("storage").put(); // memo 1
        p.global("torch", storageClass).put(); // memo 2
        p.unicode("0").put(); // memo 3: storage key
        p.unicode("cpu").put(); // memo 4: location
        p.integer(numel);
        p.op('t').put(); // TUPLE, memo 5
        p.op('Q'); // BINPERSID
        p.integer(0); // storage offset
        p.tuple(shape).put(); // memo 6
        p.tuple(stride).put(); // memo 7
        p.op(0x89); // NEWFALSE: requires_grad
        p.global("collections", "OrderedDict").put(); // memo 8
        p.op(')').op('R').put(); // EMPTY_TUPLE REDUCE: backward hooks, memo 9
        p.op('t').put(); // TUPLE, memo 10
        p.op('R').put(); // REDUCE, memo 11
        p.op('.'); // STOP
        return p.out.toByteArray();
    }

    /** A protocol-2 pickle writer with just the opcodes above. */
    private static final class Pickle {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        int memo;

        Pickle op(final int opcode) {
            out.write(opcode);
            return this;
        }

        Pickle put() { // BINPUT memo (< 256 here)
            out.write('q');
            out.write(memo++);
            return this;
        }

        Pickle global(final String module, final String name) { // GLOBAL 'module\nname\n'
            out.write('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        Pickle unicode(final String s) { // BINUNICODE <u32 len> utf8
            final byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.write('X');
            le32(b.length);
            out.writeBytes(b);
            return this;
        }

        Pickle integer(final long v) { // what Python's pickler picks for an int
            if (v >= 0 && v < 0x100) {
                out.write('K'); // BININT1
                out.write((int) v);
            } else if (v >= 0 && v < 0x10000) {
                out.write('M'); // BININT2
                out.write((int) v & 0xff);
                out.write((int) (v >>> 8) & 0xff);
            } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                out.write('J'); // BININT
                le32((int) v);
            } else {
                throw new IllegalArgumentException("integer too large for this writer: " + v);
            }
            return this;
        }

        Pickle tuple(final long[] values) { // TUPLE1/2/3 for short tuples
            for (final long v : values) {
                integer(v);
            }
            out.write(0x85 + values.length - 1);
            return this;
        }

        private void le32(final int v) {
            out.write(v & 0xff);
            out.write((v >>> 8) & 0xff);
            out.write((v >>> 16) & 0xff);
            out.write((v >>> 24) & 0xff);
        }
    }

    /** The ZIP layout of PyTorch's {@code PyTorchStreamWriter} (miniz, stored, 64-byte aligned). */
    private static final class ZipWriter {
        private record Entry(byte[] name, int crc, int size, int offset) {}

        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final List<Entry> entries = new ArrayList<>();

        void add(final String name, final byte[] data) {
            final byte[] n = name.getBytes(StandardCharsets.UTF_8);
            final int offset = out.size();
            final int start = offset + 30 + n.length + 4;
            final int pad = (ALIGNMENT - start % ALIGNMENT) % ALIGNMENT;
            final CRC32 crc = new CRC32();
            crc.update(data);
            le32(0x04034b50); // local file header
            le16(0); // version needed
            le16(0x0808); // flags: data descriptor, UTF-8
            le16(0); // method: stored
            le16(0); // time
            le16(0); // date
            le32(0); // crc (in the descriptor)
            le32(0); // compressed size (in the descriptor)
            le32(0); // size (in the descriptor)
            le16(n.length);
            le16(4 + pad); // extra field: the alignment padding
            out.writeBytes(n);
            out.write('F');
            out.write('B');
            le16(pad);
            for (int i = 0; i < pad; i++) {
                out.write('Z');
            }
            out.writeBytes(data);
            le32(0x08074b50); // data descriptor
            le32((int) crc.getValue());
            le32(data.length);
            le32(data.length);
            entries.add(new Entry(n, (int) crc.getValue(), data.length, offset));
        }

        byte[] finish() {
            final int cdOffset = out.size();
            for (final Entry e : entries) {
                le32(0x02014b50); // central directory header
                le16(0); // version made by
                le16(0); // version needed
                le16(0x0808);
                le16(0);
                le16(0);
                le16(0);
                le32(e.crc());
                le32(e.size());
                le32(e.size());
                le16(e.name().length);
                le16(0); // extra
                le16(0); // comment
                le16(0); // disk
                le16(0); // internal attributes
                le32(0); // external attributes
                le32(e.offset());
                out.writeBytes(e.name());
            }
            final int cdSize = out.size() - cdOffset;
            final int zip64Offset = out.size();
            le32(0x06064b50); // ZIP64 end of central directory record
            le64(44); // its size after this field
            le16(0x031e); // version made by (unix, 3.0)
            le16(0x002d); // version needed (4.5)
            le32(0);
            le32(0);
            le64(entries.size());
            le64(entries.size());
            le64(cdSize);
            le64(cdOffset);
            le32(0x07064b50); // ZIP64 end of central directory locator
            le32(0);
            le64(zip64Offset);
            le32(1);
            le32(0x06054b50); // end of central directory record
            le16(0);
            le16(0);
            le16(entries.size());
            le16(entries.size());
            le32(cdSize);
            le32(cdOffset);
            le16(0); // comment length
            return out.toByteArray();
        }

        private void le16(final int v) {
            out.write(v & 0xff);
            out.write((v >>> 8) & 0xff);
        }

        private void le32(final int v) {
            le16(v & 0xffff);
            le16(v >>> 16);
        }

        private void le64(final long v) {
            le32((int) v);
            le32((int) (v >>> 32));
        }
    }
}

package dev.caravan.app.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The directory where one command keeps its runs, locked for that command (two engines on one store would each take
 * over the other's runs) and watched: a store deleted while its files are open keeps taking writes on Linux, into
 * files nobody can find again, so a run would seem kept when it is not.
 */
public final class DataDirectory implements AutoCloseable {

    private final Path dir;
    private final FileChannel channel;
    /** Paths that must stay, with the file key (inode) each had, so a deleted and re-created path is noticed. */
    private final Map<Path, Object> watched = new LinkedHashMap<>();

    private DataDirectory(Path dir, FileChannel channel) {
        this.dir = dir;
        this.channel = channel;
    }

    /** Creates the directory if needed and takes its lock, which goes with the process however it ends. */
    public static DataDirectory lock(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path lockFile = dir.resolve("caravan.lock");
        FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException heldInThisProcess) {
            lock = null;
        }
        if (lock == null) {
            channel.close();
            throw new UserException(ExitCodes.USAGE, "the data directory " + dir + " is in use by another caravan "
                    + "command; wait for it to end, or use --data-dir DIR or --ephemeral");
        }
        DataDirectory d = new DataDirectory(dir, channel);
        d.watch(lockFile);
        return d;
    }

    public Path path() {
        return dir;
    }

    /** Watches a path of the directory (the store's own folder, once the store has made it); no-op when absent. */
    void watch(Path p) {
        Object key = fileKey(p);
        if (key != null) {
            watched.put(p, key);
        }
    }

    /** Whether every watched path is still the one it was when the command started. */
    boolean intact() {
        for (Map.Entry<Path, Object> w : watched.entrySet()) {
            if (!Objects.equals(fileKey(w.getKey()), w.getValue())) {
                return false;
            }
        }
        return true;
    }

    /** The file key of a path, a placeholder where the file system has none, or null when the path is absent. */
    private static Object fileKey(Path p) {
        try {
            Object key = Files.readAttributes(p, BasicFileAttributes.class).fileKey();
            return key != null ? key : Boolean.TRUE;
        } catch (IOException absent) {
            return null;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close(); // releases the lock
    }
}

package dev.caravan.dsl;

import java.util.Optional;

import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.common.Anchor;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;

/**
 * SnakeYAML's composer, refusing mappings and lists nested deeper than a limit: it descends one Java call per level,
 * so a few thousand {@code [} overflow the stack, and SnakeYAML Engine has no setting for this.
 */
final class DepthLimitedComposer extends Composer {

    /** Thrown where the first level past the limit starts. */
    static final class TooDeepException extends RuntimeException {
        private final transient Optional<Mark> mark;

        TooDeepException(Optional<Mark> mark) {
            super(null, null, false, false);
            this.mark = mark;
        }

        Optional<Mark> mark() {
            return mark;
        }
    }

    private final int maxDepth;
    private int depth;

    DepthLimitedComposer(LoadSettings settings, String content, int maxDepth) {
        super(settings, new ParserImpl(settings, new StreamReader(settings, content)));
        this.maxDepth = maxDepth;
    }

    @Override
    protected SequenceNode composeSequenceNode(Optional<Anchor> anchor) {
        enter();
        try {
            return super.composeSequenceNode(anchor);
        } finally {
            depth--;
        }
    }

    @Override
    protected Node composeMappingNode(Optional<Anchor> anchor) {
        enter();
        try {
            return super.composeMappingNode(anchor);
        } finally {
            depth--;
        }
    }

    private void enter() {
        if (++depth > maxDepth) {
            throw new TooDeepException(parser.peekEvent().getStartMark());
        }
    }
}

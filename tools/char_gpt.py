#!/usr/bin/python3
"""Small byte-level GPT models for RoundLab's language-model fixtures and demo (model code only).

Imported by tests/data/make_lm_fixtures.py and tools/train_char_gpt.py; it makes no files itself.

Two layouts of the same decoder-only transformer:

- GPT: nanoGPT's layout (nn.Linear projections, parameter names h.N.attn.c_attn.weight, ...),
  written to be compiled with torch.jit.script. With tied=True, lm_head.weight is
  wte.weight, as in nanoGPT.
- HfGPT2LMHeadModel: Hugging Face's GPT2LMHeadModel layout (transformer.h.N.attn.c_attn with
  Conv1D, whose weight is stored [in, out]; gelu_new; masked_bias), written to be traced with
  torch.jit.trace as a Hugging Face export would be. lm_head.weight is transformer.wte.weight.

Vocabulary: bytes. Token id = byte value, 256 tokens.
"""
import math
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 256


# ---------------------------------------------------------------------------------------------
# nanoGPT layout (for torch.jit.script)


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd: int, n_head: int, block_size: int):
        super().__init__()
        assert n_embd % n_head == 0
        self.n_head = n_head
        self.n_embd = n_embd
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        # nanoGPT's causal mask, stored as bool (a quarter of float's bytes: 16 KB per block at 128).
        self.register_buffer(
            "bias", torch.tril(torch.ones(block_size, block_size, dtype=torch.bool)).view(
                1, 1, block_size, block_size))

    def forward(self, x):
        B, T, C = x.size()
        hd = C // self.n_head
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        q = q.view(B, T, self.n_head, hd).transpose(1, 2)
        k = k.view(B, T, self.n_head, hd).transpose(1, 2)
        v = v.view(B, T, self.n_head, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, n_embd: int):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * n_embd, n_embd)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, n_embd: int, n_head: int, block_size: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, block_size)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = MLP(n_embd)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT(nn.Module):
    """nanoGPT without dropout: forward(idx int64 [B, T]) -> logits [B, T, vocab]."""

    def __init__(self, vocab: int = VOCAB, block_size: int = 128, n_layer: int = 4, n_head: int = 4,
                 n_embd: int = 128, tied: bool = False):
        super().__init__()
        self.block_size = block_size
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.h = nn.ModuleList([Block(n_embd, n_head, block_size) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab, bias=False)
        if tied:
            self.lm_head.weight = self.wte.weight
        # nanoGPT's initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2 n_layer).
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * n_layer))
            elif p.dim() == 2:
                nn.init.normal_(p, 0.0, 0.02)
            elif name.endswith(".bias"):
                nn.init.zeros_(p)

    def forward(self, idx):
        B, T = idx.size()
        pos = torch.arange(T, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


# ---------------------------------------------------------------------------------------------
# Hugging Face GPT-2 layout (for torch.jit.trace)


class Conv1D(nn.Module):
    """Hugging Face's Conv1D: a linear layer whose weight is stored transposed, [in, out]."""

    def __init__(self, nf: int, nx: int):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        x = x.view(size_out)
        return x


def gelu_new(x):
    """GELU, tanh approximation, written out as Hugging Face's NewGELUActivation."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class GPT2Attention(nn.Module):
    def __init__(self, n_embd: int, n_head: int, n_positions: int):
        super().__init__()
        self.register_buffer(
            "bias",
            torch.tril(torch.ones((n_positions, n_positions), dtype=torch.bool)).view(
                1, 1, n_positions, n_positions))
        self.register_buffer("masked_bias", torch.tensor(-1e4))
        self.embed_dim = n_embd
        self.num_heads = n_head
        self.head_dim = n_embd // n_head
        self.split_size = n_embd
        self.c_attn = Conv1D(3 * n_embd, n_embd)
        self.c_proj = Conv1D(n_embd, n_embd)

    def _attn(self, query, key, value):
        attn_weights = torch.matmul(query, key.transpose(-1, -2))
        attn_weights = attn_weights / (float(value.size(-1)) ** 0.5)
        query_length, key_length = query.size(-2), key.size(-2)
        causal_mask = self.bias[:, :, key_length - query_length: key_length, :key_length]
        attn_weights = torch.where(causal_mask, attn_weights, self.masked_bias.to(attn_weights.dtype))
        attn_weights = nn.functional.softmax(attn_weights, dim=-1)
        return torch.matmul(attn_weights, value)

    def _split_heads(self, tensor, num_heads: int, attn_head_size: int):
        new_shape = tensor.size()[:-1] + (num_heads, attn_head_size)
        tensor = tensor.view(new_shape)
        return tensor.permute(0, 2, 1, 3)  # (batch, head, seq_length, head_features)

    def _merge_heads(self, tensor, num_heads: int, attn_head_size: int):
        tensor = tensor.permute(0, 2, 1, 3).contiguous()
        new_shape = tensor.size()[:-2] + (num_heads * attn_head_size,)
        return tensor.view(new_shape)

    def forward(self, hidden_states):
        query, key, value = self.c_attn(hidden_states).split(self.split_size, dim=2)
        query = self._split_heads(query, self.num_heads, self.head_dim)
        key = self._split_heads(key, self.num_heads, self.head_dim)
        value = self._split_heads(value, self.num_heads, self.head_dim)
        attn_output = self._attn(query, key, value)
        attn_output = self._merge_heads(attn_output, self.num_heads, self.head_dim)
        return self.c_proj(attn_output)


class GPT2MLP(nn.Module):
    def __init__(self, intermediate_size: int, n_embd: int):
        super().__init__()
        self.c_fc = Conv1D(intermediate_size, n_embd)
        self.c_proj = Conv1D(n_embd, intermediate_size)

    def forward(self, hidden_states):
        return self.c_proj(gelu_new(self.c_fc(hidden_states)))


class GPT2Block(nn.Module):
    def __init__(self, n_embd: int, n_head: int, n_positions: int, eps: float = 1e-5):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd, eps=eps)
        self.attn = GPT2Attention(n_embd, n_head, n_positions)
        self.ln_2 = nn.LayerNorm(n_embd, eps=eps)
        self.mlp = GPT2MLP(4 * n_embd, n_embd)

    def forward(self, hidden_states):
        residual = hidden_states
        hidden_states = self.attn(self.ln_1(hidden_states))
        hidden_states = hidden_states + residual
        residual = hidden_states
        hidden_states = self.mlp(self.ln_2(hidden_states))
        return residual + hidden_states


class GPT2Model(nn.Module):
    def __init__(self, vocab: int, n_positions: int, n_layer: int, n_head: int, n_embd: int):
        super().__init__()
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(n_positions, n_embd)
        self.h = nn.ModuleList([GPT2Block(n_embd, n_head, n_positions) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd, eps=1e-5)
        nn.init.normal_(self.wte.weight, std=0.02)
        nn.init.normal_(self.wpe.weight, std=0.01)
        # Hugging Face's GPT-2 scales the residual projections by 1/sqrt(2 n_layer).
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * n_layer))

    def forward(self, input_ids):
        input_shape = input_ids.size()
        input_ids = input_ids.view(-1, input_shape[-1])
        position_ids = torch.arange(0, input_shape[-1], dtype=torch.long, device=input_ids.device)
        position_ids = position_ids.unsqueeze(0).view(-1, input_shape[-1])
        hidden_states = self.wte(input_ids) + self.wpe(position_ids)
        for block in self.h:
            hidden_states = block(hidden_states)
        hidden_states = self.ln_f(hidden_states)
        output_shape = input_shape + (hidden_states.size(-1),)
        return hidden_states.view(output_shape)


class HfGPT2LMHeadModel(nn.Module):
    """GPT2LMHeadModel's layout; forward(input_ids int64 [B, T]) -> logits [B, T, vocab] only."""

    def __init__(self, vocab: int = VOCAB, n_positions: int = 32, n_layer: int = 2, n_head: int = 4,
                 n_embd: int = 32):
        super().__init__()
        self.transformer = GPT2Model(vocab, n_positions, n_layer, n_head, n_embd)
        self.lm_head = nn.Linear(n_embd, vocab, bias=False)
        self.lm_head.weight = self.transformer.wte.weight  # tied, as Hugging Face ties them

    def forward(self, input_ids):
        return self.lm_head(self.transformer(input_ids))


# ---------------------------------------------------------------------------------------------
# Bytes


def text_bytes(paths: List[str]) -> torch.Tensor:
    """The bytes of the files, concatenated in the order given, as int64 token ids [N]."""
    data = bytearray()
    for p in paths:
        with open(p, "rb") as f:
            data += f.read()
    return torch.frombuffer(data, dtype=torch.uint8).to(torch.int64)


def windows(ids: torch.Tensor, T: int, stride: Optional[int] = None) -> torch.Tensor:
    """Windows of T tokens at stride T (non-overlapping; default) or at the stride given, [N, T].
    A final partial window is dropped."""
    stride = T if stride is None else stride
    if ids.numel() < T:
        return ids.new_empty((0, T))
    return ids.unfold(0, T, stride).contiguous()


def lm_metrics(logits: torch.Tensor, labels: torch.Tensor, ignore_index: int = -100):
    """(tokens, summed cross-entropy in nats as float64, correct top-1) over positions whose label
    is not ignore_index. Cross-entropy per position in float32, summed in float64."""
    logits = logits.reshape(-1, logits.size(-1)).float()
    labels = labels.reshape(-1).to(torch.int64)
    keep = labels != ignore_index
    ce = F.cross_entropy(logits[keep], labels[keep], reduction="none")
    correct = (logits[keep].argmax(-1) == labels[keep]).sum().item()
    return int(keep.sum().item()), float(ce.double().sum().item()), int(correct)


def shifted_labels(inputs: torch.Tensor, ignore_index: int = -100) -> torch.Tensor:
    """Labels for a token file without /labels: each position's next input; the last position of
    each row has none and gets ignore_index."""
    labels = torch.full_like(inputs.to(torch.int64), ignore_index)
    labels[:, :-1] = inputs[:, 1:].to(torch.int64)
    return labels


def figures(tokens: int, ce_sum: float, correct: int) -> dict:
    loss = ce_sum / tokens
    return {"tokens": tokens, "loss": loss, "perplexity": math.exp(loss),
            "token_top1": 100.0 * correct / tokens}

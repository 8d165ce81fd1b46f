/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What warden's BPF needs to know per architecture: the numbers of execve
 * and execveat, and where a task's user registers keep the number of the
 * syscall it is in. The syscall's arguments come from libbpf's
 * PT_REGS_PARMn_CORE_SYSCALL, which knows each architecture's registers.
 * x86-64 is what is built and tested here; the arm64 lines follow its uapi
 * and struct pt_regs but have not been run.
 */
#ifndef WARDEN_ARCH_BPF_H
#define WARDEN_ARCH_BPF_H

#if defined(__TARGET_ARCH_x86)
#define NR_EXECVE 59
#define NR_EXECVEAT 322
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define NR_EXECVE 221
#define NR_EXECVEAT 281
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, syscallno)
#else
#error "bpf/arch.bpf.h: add the execve numbers and SYSCALL_NR for this architecture"
#endif

#endif /* WARDEN_ARCH_BPF_H */

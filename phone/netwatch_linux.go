package phone

import (
	"golang.org/x/sys/unix"
)

// netWatch reports changes of the machine's network: links going up or
// down and addresses coming or going, from the kernel's rtnetlink
// notifications (any such message is a change; bursts coalesce into one).
type netWatch struct {
	C  chan struct{}
	fd int
}

func watchNetwork() (*netWatch, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	groups := uint32(unix.RTMGRP_LINK | unix.RTMGRP_IPV4_IFADDR | unix.RTMGRP_IPV6_IFADDR)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	w := &netWatch{C: make(chan struct{}, 1), fd: fd}
	go func() {
		buf := make([]byte, 16<<10)
		for {
			if _, _, err := unix.Recvfrom(fd, buf, 0); err != nil {
				if err == unix.EINTR || err == unix.ENOBUFS { // (ENOBUFS: notifications lost: a change all the same)
					w.signal()
					continue
				}
				return // closed
			}
			w.signal()
		}
	}()
	return w, nil
}

func (w *netWatch) signal() {
	select {
	case w.C <- struct{}{}:
	default:
	}
}

// Close stops the watch (its reader ends).
func (w *netWatch) Close() {
	unix.Shutdown(w.fd, unix.SHUT_RDWR)
	unix.Close(w.fd)
}

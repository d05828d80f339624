module example.com/app

go 1.19

require (
	example.com/Upper/caps v0.2.0
	example.com/greet v1.0.0
)

require example.com/num v1.1.0 // indirect
